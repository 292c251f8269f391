import { createEnvelope, Topics, type AuthUser } from '@sudamall/shared';
import { orderNotFound } from '../domain/errors';
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

  /** Seller of one of the order's stores, or admin, through the transition table. */
  async updateStatus(user: AuthUser, orderId: string, to: OrderStatus, notes?: string): Promise<OrderStatus> {
    const by = actorOf(user);
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
      requireAccess(order, user, ['seller', 'admin']);
      assertTransition(order.status, to, by.role);
      await tx.changeOrderStatus(orderId, order.status, { to }, by, notes);
      await tx.enqueue(
        Topics.orderEvents,
        createEnvelope('order.status_changed', orderId, {
          order_id: orderId,
          user_id: order.userId,
          from: order.status,
          to,
          reason: null,
          payment_expires_at: order.paymentExpiresAt ? order.paymentExpiresAt.toISOString() : null,
        }),
      );
      return to;
    });
    this.saga.notifyOrderChanged(orderId, status);
    return status;
  }
}
