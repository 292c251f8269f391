import { createEnvelope, Topics, type AuthUser } from '@sudamall/shared';
import { orderNotFound } from '../domain/errors';
import { fulfillmentsToMove, orderStatusFromFulfillments, type FulfillmentMover, type FulfillmentStatus } from '../domain/fulfillment';
import { assertTransition, type OrderStatus } from '../domain/order-status';
import { actorOf, requireAccess } from './order-access';
import type { UnitOfWork } from './ports';
import type { SagaCoordinator } from './saga-coordinator';

/** Cancellations and the seller's shipping updates. Anything the saga owns goes through it. */
export class OrderCommands {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly saga: SagaCoordinator,
  ) {}

  /** Buyer (own order) or admin; compensation (release, void) is the saga's. */
  cancel(user: AuthUser, orderId: string, reason?: string): Promise<OrderStatus> {
    const by = actorOf(user);
    return this.saga.run(orderId, { kind: 'cancel', reason: reason?.trim() || `cancelled_by_${by.role}` }, by, {
      authorize: (order) => requireAccess(order, user, ['owner', 'admin']),
    });
  }

  /**
   * A seller moves their store's fulfilment, an admin every open one, each through the
   * fulfilment table; the order's status follows its fulfilments (through the order's table).
   * Cancelling is the saga's: before payment it cancels the whole order.
   */
  async updateStatus(user: AuthUser, orderId: string, to: OrderStatus, opts: { notes?: string; trackingNumber?: string } = {}): Promise<OrderStatus> {
    const by = actorOf(user);
    const { notes, trackingNumber } = opts;
    if (to === 'cancelled') {
      return this.saga.run(orderId, { kind: 'cancel', reason: `cancelled_by_${by.role}` }, by, {
        authorize: (order) => requireAccess(order, user, ['seller', 'admin']),
        notes,
      });
    }
    const status = await this.uow.run(async (tx) => {
      const locked = await tx.lockSaga(orderId);
      if (!locked) throw orderNotFound(orderId);
      const { order } = locked;
      const access = requireAccess(order, user, ['seller', 'admin']);
      const fulfillments = await tx.fulfillmentsOf(orderId);
      const mover: FulfillmentMover = access === 'seller' && user.storeId ? { role: 'seller', storeId: user.storeId } : { role: 'admin' };
      const moving = fulfillmentsToMove(fulfillments, to, mover);
      const moves = moving.map((f) => ({ storeId: f.storeId, from: f.status, to: to as FulfillmentStatus, trackingNumber }));
      await tx.moveFulfillments(orderId, moves, by, notes);
      const after = fulfillments.map((f) => (moving.includes(f) ? { ...f, status: to as FulfillmentStatus } : f));
      const next = orderStatusFromFulfillments(after.map((f) => f.status));
      if (!next || next === order.status) return order.status;
      assertTransition(order.status, next, by.role);
      await tx.changeOrderStatus(orderId, order.status, { to: next }, by, notes);
      await tx.enqueue(
        Topics.orderEvents,
        createEnvelope('order.status_changed', orderId, {
          order_id: orderId,
          user_id: order.userId,
          from: order.status,
          to: next,
          reason: null,
          payment_expires_at: order.paymentExpiresAt ? order.paymentExpiresAt.toISOString() : null,
        }),
      );
      return next;
    });
    this.saga.notifyOrderChanged(orderId, status);
    return status;
  }
}
