import type { AuthUser } from '@sudamall/shared';
import { orderNotFound } from '../domain/errors';
import { fulfillmentsToMove, type FulfillmentMover, type FulfillmentStatus } from '../domain/fulfillment';
import type { OrderStatus } from '../domain/order-status';
import type { AdjustmentSnapshot } from '../saga/adjustment.saga';
import { assertNoCancellationRunning, type OrderAdjustments } from './order-adjustments';
import { actorOf, requireAccess, type Access } from './order-access';
import { moveFulfillments, orderFollowsFulfillments } from './order-events';
import type { AdjustmentUnitOfWork, UnitOfWork } from './ports';
import type { SagaCoordinator } from './saga-coordinator';

/**
 * Paid and not yet delivered: the checkout saga is done, so a cancellation is a saga of its own
 * (refund, restock). A delivered order is not cancelled (it is returned); the checkout saga says so.
 */
const isPaid = (status: OrderStatus) => status === 'processing' || status === 'shipped';

export type CancelOutcome =
  /** Before payment: the checkout saga unwound (release, void) and the order is cancelled. */
  | { kind: 'cancelled'; status: OrderStatus }
  /** After payment: a cancellation started; the order changes once it is refunded and restocked. */
  | { kind: 'cancellation'; adjustment: AdjustmentSnapshot };

/** Cancellations and the sellers' shipping updates. Anything a saga owns goes through it. */
export class OrderCommands {
  constructor(
    private readonly uow: UnitOfWork & AdjustmentUnitOfWork,
    private readonly saga: SagaCoordinator,
    private readonly adjustments: OrderAdjustments,
    private readonly heads: { head(orderId: string): Promise<{ status: OrderStatus } | null> },
  ) {}

  /**
   * Before payment its buyer, a seller of a store in it, or an admin cancels the whole order
   * (the checkout saga releases and voids). After payment a buyer cancels it while nothing has
   * shipped, an admin while nothing is delivered, a seller their own part while it is processing
   * (domain/cancellation.ts), each through a cancellation saga (refund, then restock).
   */
  async cancel(user: AuthUser, orderId: string, reason?: string): Promise<CancelOutcome> {
    const by = actorOf(user);
    const why = reason?.trim() || `cancelled_by_${by.role}`;
    const allowed: Access[] = ['owner', 'seller', 'admin'];
    const head = await this.heads.head(orderId);
    if (!head) throw orderNotFound(orderId);
    if (!isPaid(head.status)) {
      const status = await this.saga.run(orderId, { kind: 'cancel', reason: why }, by, { authorize: (order) => requireAccess(order, user, allowed) });
      return { kind: 'cancelled', status };
    }
    // What the buyer paid in fees is a question for the payment service, asked before any lock.
    const { fee } = await this.adjustments.payment(orderId);
    const adjustment = await this.uow.runAdjustment(async (tx) => {
      const locked = await tx.lockSaga(orderId);
      if (!locked) throw orderNotFound(orderId);
      const access = requireAccess(locked.order, user, allowed);
      return this.adjustments.startCancellation(tx, locked.order, user, access, why, fee);
    });
    return { kind: 'cancellation', adjustment };
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
      const head = await this.heads.head(orderId);
      if (head && isPaid(head.status)) {
        const outcome = await this.cancel(user, orderId, notes);
        return outcome.kind === 'cancelled' ? outcome.status : head.status;
      }
      return this.saga.run(orderId, { kind: 'cancel', reason: `cancelled_by_${by.role}` }, by, {
        authorize: (order) => requireAccess(order, user, ['seller', 'admin']),
        notes,
      });
    }
    const status = await this.uow.runAdjustment(async (tx) => {
      const locked = await tx.lockSaga(orderId);
      if (!locked) throw orderNotFound(orderId);
      const { order } = locked;
      const access = requireAccess(order, user, ['seller', 'admin']);
      const fulfillments = await tx.fulfillmentsOf(orderId);
      const mover: FulfillmentMover = access === 'seller' && user.storeId ? { role: 'seller', storeId: user.storeId } : { role: 'admin' };
      const moving = fulfillmentsToMove(fulfillments, to, mover);
      assertNoCancellationRunning(
        await tx.adjustmentsOf(orderId),
        moving.map((f) => f.storeId),
      );
      const moves = moving.map((f) => ({ storeId: f.storeId, from: f.status, to: to as FulfillmentStatus, trackingNumber }));
      await moveFulfillments(tx, order, moves, by, notes);
      const after = fulfillments.map((f) => (moving.includes(f) ? to : f.status)) as FulfillmentStatus[];
      return (await orderFollowsFulfillments(tx, order, after, by, { notes })) ?? order.status;
    });
    this.saga.notifyOrderChanged(orderId, status);
    return status;
  }
}
