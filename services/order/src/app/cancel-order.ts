import type { AuthUser } from '@sudamall/shared';
import { orderNotFound } from '../domain/errors';
import { isPaid, type OrderStatus } from '../domain/order-status';
import type { AdjustmentSnapshot } from '../saga/adjustment.saga';
import type { OrderAdjustments } from './order-adjustments';
import { actorOf, lockedOrder, requireAccess, type Access } from './order-access';
import type { AdjustmentUnitOfWork } from './ports';
import type { SagaCoordinator } from './saga-coordinator';

export type CancelOutcome =
  /** Before payment: the checkout saga unwound (release, void) and the order is cancelled. */
  | { kind: 'cancelled'; status: OrderStatus }
  /** After payment: a cancellation started; the order changes once it is refunded and restocked. */
  | { kind: 'cancellation'; adjustment: AdjustmentSnapshot };

/**
 * Before payment its buyer, a seller of a store in it, or an admin cancels the whole order (the
 * checkout saga releases and voids). After payment a buyer cancels it while nothing has shipped,
 * an admin while nothing is delivered, a seller their own part while it is processing
 * (domain/cancellation.ts), each through a cancellation saga (refund, then restock).
 */
export class CancelOrder {
  constructor(
    private readonly uow: AdjustmentUnitOfWork,
    private readonly saga: SagaCoordinator,
    private readonly adjustments: OrderAdjustments,
    private readonly heads: { head(orderId: string): Promise<{ status: OrderStatus } | null> },
  ) {}

  async execute(user: AuthUser, orderId: string, reason?: string): Promise<CancelOutcome> {
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
      const order = await lockedOrder(tx, orderId);
      const access = requireAccess(order, user, allowed);
      return this.adjustments.startCancellation(tx, order, user, access, why, fee);
    });
    return { kind: 'cancellation', adjustment };
  }
}
