import { conflict, createEnvelope, formatMoney, sumMoney, Topics, unavailable, type AuthUser, type Envelope, type Logger } from '@sudamall/shared';
import { cancellationScope, type Canceller } from '../domain/cancellation';
import { feeShares, partRefund } from '../domain/fee-share';
import { transitionFulfillment, type FulfillmentStatus } from '../domain/fulfillment';
import type { OrderStatus } from '../domain/order-status';
import {
  adjustmentIdIn,
  beginAdjustment,
  decideAdjustment,
  newAdjustment,
  type AdjustmentDecision,
  type AdjustmentInput,
  type AdjustmentSnapshot,
} from '../saga/adjustment.saga';
import type { ReplyType, SagaTimings } from '../saga/saga-types';
import type { PaymentStatusPort } from './catalog';
import type { Access } from './order-access';
import { actorOf } from './order-access';
import { sendCollectionIfDue } from './cash-collection';
import { moveFulfillments, orderFollowsFulfillments } from './order-events';
import type { ActorRef, AdjustmentTx, AdjustmentUnitOfWork, Clock, OrderHead } from './ports';

export type AdjustmentTimings = Pick<SagaTimings, 'retryBaseMs' | 'retryMaxMs' | 'maxAttempts'>;

/** An adjustment not finished (a cancellation refunding or restocking, a return waiting or running). */
export const isOpen = (a: AdjustmentSnapshot) => a.status !== 'completed' && a.status !== 'rejected';

/**
 * A cancellation still refunding or restocking that takes this store's part (a whole-order one
 * takes every part): that part does not ship, deliver or collect meanwhile (409 CANCELLATION_IN_PROGRESS).
 */
export function assertNoCancellationRunning(adjustments: readonly AdjustmentSnapshot[], storeIds: readonly string[]): void {
  const running = adjustments.find((a) => a.kind === 'cancellation' && isOpen(a) && (a.storeId === null || storeIds.includes(a.storeId)));
  if (running) {
    throw conflict('CANCELLATION_IN_PROGRESS', 'this part of the order is being cancelled (refund and restock in flight); wait for it', {
      cancellation_id: running.id,
      store_id: running.storeId,
      status: running.status,
    });
  }
}

/** The adjustment a participant's reply answers, by the id its command carried; null when it names none. */
export const adjustmentIdOf = (envelope: Envelope): string | null => adjustmentIdIn(envelope.type, envelope.data);

const cancellerOf = (access: Access, user: AuthUser): Canceller =>
  access === 'seller' && user.storeId ? { role: 'seller', storeId: user.storeId } : access === 'owner' ? { role: 'buyer' } : { role: 'admin' };

/**
 * Cancellations after payment (and, with the same saga, returns): each runs refund → restock as
 * its own persisted saga (saga/adjustment.saga.ts), answered by the participants through its id,
 * re-sent by the sweeper until answered, and applied to the order's fulfilments once done.
 */
export class OrderAdjustments {
  constructor(
    private readonly uow: AdjustmentUnitOfWork,
    private readonly payments: PaymentStatusPort | null,
    private readonly clock: Clock,
    private readonly timingSettings: AdjustmentTimings,
    private readonly newId: () => string,
    private readonly logger: Logger,
    private readonly onOrderChanged: (orderId: string, status: OrderStatus) => void,
  ) {}

  private timings() {
    return { now: this.clock.now(), ...this.timingSettings };
  }

  /**
   * What the buyer paid with (its gateway) and in fees, asked of the payment service (a question,
   * so gRPC, before any lock is taken): the stores' parts share the fee out.
   */
  async payment(orderId: string): Promise<{ gateway: string; fee: string }> {
    const down = () =>
      unavailable('PAYMENT_SERVICE_UNAVAILABLE', 'the payment service cannot say what was paid for this order; try again', { order_id: orderId });
    if (!this.payments) throw down();
    try {
      const payment = await this.payments.getPaymentStatus(orderId);
      return { gateway: payment?.gateway ?? '', fee: payment?.gatewayFee || '0.00' };
    } catch {
      throw down();
    }
  }

  /**
   * Inside the order's lock: starts cancelling a paid order, or a seller's part of it. The order
   * and its fulfilments change only when the saga is done (refunded, then restocked).
   */
  async startCancellation(
    tx: AdjustmentTx,
    order: OrderHead,
    user: AuthUser,
    access: Access,
    reason: string,
    fee: string,
    opts: { refusedDeliveryOf?: string } = {},
  ): Promise<AdjustmentSnapshot> {
    const [fulfillments, adjustments, lines, parts] = [
      await tx.fulfillmentsOf(order.id),
      await tx.adjustmentsOf(order.id),
      await tx.linesOf(order.id),
      await tx.fulfillmentPartsOf(order.id),
    ];
    const running = adjustments.find((a) => a.kind === 'cancellation' && isOpen(a));
    if (running) {
      throw conflict('CANCELLATION_IN_PROGRESS', 'a cancellation of this order is being refunded and restocked; wait for it', {
        cancellation_id: running.id,
        status: running.status,
      });
    }
    const canceller: Canceller = opts.refusedDeliveryOf
      ? { role: 'seller', storeId: opts.refusedDeliveryOf, refusedDelivery: true }
      : cancellerOf(access, user);
    const scope = cancellationScope(fulfillments, canceller);
    const shares = feeShares(fee, parts);
    const refund = sumMoney(parts.filter((p) => scope.storeIds.includes(p.storeId)).map((p) => partRefund(p.subtotal, shares.get(p.storeId) ?? '0.00')));
    const draft = newAdjustment({
      id: this.newId(),
      orderId: order.id,
      kind: 'cancellation',
      // A whole-order cancellation names no store: it refunds everything left of the payment.
      storeId: scope.wholeOrder && canceller.role !== 'seller' ? null : scope.storeIds[0],
      status: 'refunding',
      reason,
      requestedBy: actorOf(user),
      refundAmount: formatMoney(refund),
      lines: lines.filter((l) => scope.storeIds.includes(l.storeId)).map((l) => ({ line_id: l.lineId, quantity: l.quantity })),
    });
    const started = await this.begin(tx, order, draft, { insert: true });
    this.logger.info(
      { order_id: order.id, adjustment_id: draft.id, store_id: draft.storeId, refund_amount: draft.refundAmount },
      'cancellation after payment started',
    );
    return started;
  }

  /** Starts an adjustment's saga: a cancellation just asked for (inserted), a return just approved. */
  async begin(tx: AdjustmentTx, order: OrderHead, a: AdjustmentSnapshot, opts: { insert?: boolean; decidedBy?: ActorRef } = {}): Promise<AdjustmentSnapshot> {
    const decision = beginAdjustment(a, this.timings());
    if (opts.insert) await tx.insertAdjustment(decision.adjustment);
    else await tx.saveAdjustment(decision.adjustment, { completed: decision.completed, ...(opts.decidedBy ? { decidedBy: opts.decidedBy } : {}) });
    await this.persist(tx, order, decision);
    return decision.adjustment;
  }

  /** A participant's answer naming an adjustment (its refund_key / restock_id), applied once. */
  async handleReply(consumer: string, envelope: Envelope): Promise<'applied' | 'duplicate' | 'unknown_order' | 'ignored'> {
    const adjustmentId = adjustmentIdOf(envelope);
    const orderId = (envelope.data as { order_id?: unknown }).order_id;
    if (!adjustmentId || typeof orderId !== 'string') return 'ignored';
    let changed: OrderStatus | undefined;
    const outcome = await this.uow.runAdjustment(async (tx) => {
      if (!(await tx.claimInbox(consumer, envelope.id))) return 'duplicate' as const;
      const locked = await this.lockAdjustment(tx, orderId, adjustmentId);
      // Another deployment's order (shared topic), or an id this order never had.
      if (!locked) return 'unknown_order' as const;
      ({ changed } = await this.applyLocked(tx, locked.order, locked.adjustment, { kind: 'reply', type: envelope.type as ReplyType, data: envelope.data }));
      return 'applied' as const;
    });
    if (changed) this.onOrderChanged(orderId, changed);
    return outcome;
  }

  /** Re-sends the commands of adjustments whose reply is overdue (the sweep); returns how many. Stops between adjustments once `signal` is aborted. */
  async retryDue(max: number, signal?: AbortSignal): Promise<number> {
    let done = 0;
    for (let i = 0; i < max && !signal?.aborted; i++) {
      const handled = await this.uow.runDueAdjustment(this.clock.now(), async (tx, due) => {
        const locked = await this.lockAdjustment(tx, due.orderId, due.adjustmentId);
        if (!locked) return false;
        await this.applyLocked(tx, locked.order, locked.adjustment, { kind: 'retry' });
        return true;
      });
      if (!handled) return done;
      done++;
    }
    return done;
  }

  /** Locks the adjustment's order (the lock every writer takes first) and reads the adjustment; null when either is unknown. */
  async lockAdjustment(tx: AdjustmentTx, orderId: string, adjustmentId: string): Promise<{ order: OrderHead; adjustment: AdjustmentSnapshot } | null> {
    const locked = await tx.lockSaga(orderId);
    const adjustment = locked && (await tx.adjustmentsOf(orderId)).find((a) => a.id === adjustmentId);
    return locked && adjustment ? { order: locked.order, adjustment } : null;
  }

  /**
   * Runs one input through the adjustment saga for an order locked by the caller and persists the
   * decision; `changed`: the order's new status when it moved.
   */
  async applyLocked(
    tx: AdjustmentTx,
    order: OrderHead,
    adjustment: AdjustmentSnapshot,
    input: AdjustmentInput,
  ): Promise<{ adjustment: AdjustmentSnapshot; changed: OrderStatus | undefined }> {
    const decision = decideAdjustment(adjustment, input, this.timings());
    return { adjustment: decision.adjustment, changed: await this.apply(tx, order, decision) };
  }

  /** Persists a decision; a cancellation that completed cancels its fulfilments. Returns the order's new status. */
  private async apply(tx: AdjustmentTx, order: OrderHead, decision: AdjustmentDecision): Promise<OrderStatus | undefined> {
    await tx.saveAdjustment(decision.adjustment, { completed: decision.completed });
    await this.persist(tx, order, decision);
    if (decision.cancelParts) return this.closeCancellation(tx, order, decision.adjustment);
    return undefined;
  }

  private async persist(tx: AdjustmentTx, order: OrderHead, decision: AdjustmentDecision): Promise<void> {
    if (decision.log.length > 0) await tx.appendStepLog(order.id, decision.log);
    for (const c of decision.commands) await tx.enqueue(c.topic, createEnvelope(c.type, order.id, c.data as never));
  }

  /**
   * Refunded and restocked: the cancelled parts' fulfilments become cancelled (by whoever asked,
   * through the fulfilment table) and the order's status follows its fulfilments.
   */
  private async closeCancellation(tx: AdjustmentTx, order: OrderHead, a: AdjustmentSnapshot): Promise<OrderStatus | undefined> {
    const fulfillments = await tx.fulfillmentsOf(order.id);
    const cancelling = fulfillments.filter((f) => f.status !== 'cancelled' && (a.storeId === null || f.storeId === a.storeId));
    for (const f of cancelling) transitionFulfillment(f.storeId, f.status, 'cancelled', a.requestedBy.role);
    await moveFulfillments(
      tx,
      order,
      cancelling.map((f) => ({ storeId: f.storeId, from: f.status, to: 'cancelled' as const, reason: a.reason })),
      a.requestedBy,
    );
    const after = fulfillments.map<FulfillmentStatus>((f) => (cancelling.includes(f) ? 'cancelled' : f.status));
    const next = await orderFollowsFulfillments(tx, order, after, a.requestedBy, { reason: a.reason });
    if (next === 'cancelled') {
      // Everything is cancelled: a payment not captured (cash on delivery never collected) is voided too.
      await tx.enqueue(Topics.paymentCommands, createEnvelope('payment.void', order.id, { order_id: order.id, reason: a.reason }));
    }
    // The parts left may all have collected their cash now that this one will not.
    await sendCollectionIfDue(tx, order.id);
    return next;
  }
}
