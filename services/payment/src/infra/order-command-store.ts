// The saga's commands to payment (payment.void, payment.refund, payment.collect), each decided and
// recorded in one transaction with its inbox claim, the order's payment rows locked. What they
// mean is decided in domain/ (order-refund.ts, keyed-refunds.ts, cash-collection.ts); this records it.
import { claimInbox } from '@sudamall/shared';
import { attemptTransitions } from '../domain/attempt-status';
import { cashTransactionId, collectedMetadata, decideCollection } from '../domain/cash-collection';
import { decideKeyedRefund, type KeyedRefundRequest } from '../domain/keyed-refunds';
import { orderRefundAnswer, paymentToRefundInFull } from '../domain/order-refund';
import { voidRequestOf } from '../domain/payment-status';
import type { Clock, CommandEffect, OrderCommandStore } from '../app/ports';
import type { InboxClaim } from '../app/records';
import { asObject, json, money2, toPaymentRecord, type PaymentRow, type Tx } from './payment-rows';
import { cancelVoidable, emit, lockOrderPayments, movePayment } from './payment-tx';
import { reserveRefundLocked } from './refund-store';
import type { Db } from './prisma';

const cashPayment = (p: PaymentRow) => ({
  paymentId: p.paymentId,
  gateway: p.gatewayName,
  status: p.status,
  amount: money2(p.amount),
  gatewayFee: money2(p.gatewayFee),
  totalAmount: money2(p.totalAmount),
  awaitingCollection: asObject(p.metadata).awaiting_collection === true,
});

const refundable = (p: PaymentRow) => ({
  paymentId: p.paymentId,
  status: p.status,
  totalAmount: p.totalAmount.toString(),
  refundedAmount: p.refundedAmount.toString(),
});

/** The locked row of a payment the domain picked from `payments` (always one of them). */
const lockedRow = (payments: readonly PaymentRow[]) => {
  const rows = new Map(payments.map((p) => [p.paymentId, p]));
  return (paymentId: string): PaymentRow => {
    const row = rows.get(paymentId);
    if (!row) throw new Error(`payment ${paymentId} is not one of the order's locked payments`);
    return row;
  };
};

export class PrismaOrderCommandStore implements OrderCommandStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async voidForOrder(claim: InboxClaim, orderId: string, reason: string): Promise<CommandEffect> {
    return this.db.$transaction(async (tx) => {
      if (!(await claimInbox(tx, claim.consumer, claim.eventId))) return { kind: 'duplicate' } as const;
      const payments = await lockOrderPayments(tx, orderId);
      if (payments.length === 0) {
        await emit(tx, 'payment.voided', orderId, { payment_id: null, order_id: orderId, reason });
        return { kind: 'voided', payments: [] } as const;
      }
      const voided = await cancelVoidable(tx, payments, reason, this.clock.now());
      // A charge in flight answers the void when it ends: a capture as payment.succeeded (the saga
      // refunds it), anything else by closing the payment as this void would have. Recorded with
      // the inbox claim, so the request survives a crash between the two.
      const inFlight = await this.requestVoidOfCharges(tx, payments, reason, claim.eventId);
      if (voided.length === 0) {
        const why = inFlight > 0 ? 'charge in flight: void recorded for its ending' : 'no voidable payment';
        return { kind: 'nothing', reason: `${why} (${payments.map((p) => p.status).join(', ')})` } as const;
      }
      return { kind: 'voided', payments: voided } as const;
    });
  }

  async refundForOrder(claim: InboxClaim, orderId: string, reason: string): Promise<CommandEffect> {
    return this.db.$transaction(async (tx) => {
      if (!(await claimInbox(tx, claim.consumer, claim.eventId))) return { kind: 'duplicate' } as const;
      const payments = await lockOrderPayments(tx, orderId);
      const rowOf = lockedRow(payments);
      const candidates = payments.map(refundable);
      // Everything the buyer paid goes back, fee included: the platform cancelled the order.
      const toRefund = paymentToRefundInFull(candidates);
      if (toRefund) {
        const reservation = await reserveRefundLocked(tx, rowOf(toRefund.paymentId), undefined, reason, 'saga', claim.eventId);
        return { kind: 'refund_reserved', reservation } as const;
      }
      const pendingRefunds = await tx.refund.count({ where: { paymentId: { in: payments.map((p) => p.paymentId) }, status: 'pending' } });
      const answer = orderRefundAnswer(candidates, pendingRefunds);
      if (answer.kind === 'wait') return { kind: 'nothing', reason: answer.reason } as const;
      const voided = await cancelVoidable(
        tx,
        answer.voidable.map((p) => rowOf(p.paymentId)),
        reason,
        this.clock.now(),
      );
      if (answer.refundedBefore) {
        const before = rowOf(answer.refundedBefore.paymentId);
        const last = await tx.refund.findFirst({ where: { paymentId: before.paymentId, status: 'completed' }, orderBy: { processedAt: 'desc' } });
        await emit(tx, 'payment.refunded', orderId, {
          payment_id: before.paymentId,
          order_id: orderId,
          refund_id: last?.refundId ?? '',
          amount: money2(before.refundedAmount),
          reason: last?.reason ?? reason,
        });
        return { kind: 'nothing', reason: 'already refunded' } as const;
      }
      await emit(tx, 'payment.refunded', orderId, { payment_id: answer.latest?.paymentId ?? '', order_id: orderId, refund_id: '', amount: '0.00', reason });
      if (voided.length > 0) return { kind: 'voided', payments: voided } as const;
      return { kind: 'nothing', reason: payments.length === 0 ? 'no payment for the order' : 'nothing captured' } as const;
    });
  }

  async refundKeyedForOrder(claim: InboxClaim, orderId: string, reason: string, request: KeyedRefundRequest): Promise<CommandEffect> {
    return this.db.$transaction(async (tx) => {
      if (!(await claimInbox(tx, claim.consumer, claim.eventId))) return { kind: 'duplicate' } as const;
      // The order's payment rows locked first: a second command with the same key (or another
      // key) waits here, then reads the refunds this one recorded.
      const payments = await lockOrderPayments(tx, orderId);
      const sameKey =
        payments.length === 0
          ? []
          : await tx.refund.findMany({
              where: { paymentId: { in: payments.map((p) => p.paymentId) }, refundKey: request.refundKey },
              orderBy: { createdAt: 'asc' },
            });
      const decision = decideKeyedRefund(sameKey, payments.map(refundable), request.amount);
      const key = { refund_key: request.refundKey };
      switch (decision.kind) {
        case 'in_progress':
          return { kind: 'nothing', reason: `refund ${decision.refund.refundId} under this key in progress` } as const;
        case 'refunded_before': {
          const r = decision.refund;
          await emit(tx, 'payment.refunded', orderId, {
            payment_id: r.paymentId,
            order_id: orderId,
            refund_id: r.refundId,
            amount: money2(r.amount),
            reason: r.reason,
            ...key,
          });
          return { kind: 'nothing', reason: `refunded before (${r.refundId})` } as const;
        }
        case 'nothing_to_refund':
          // Nothing is voided: a part of the order is given back, the rest may still be paid (cash
          // collected on delivery of the other stores' parts).
          await emit(tx, 'payment.refunded', orderId, {
            payment_id: decision.paymentId ?? '',
            order_id: orderId,
            refund_id: '',
            amount: '0.00',
            reason,
            ...key,
          });
          return { kind: 'nothing', reason: decision.why === 'nothing_captured' ? 'nothing captured' : 'nothing left to refund' } as const;
        case 'reserve': {
          const p = lockedRow(payments)(decision.paymentId);
          const reservation = await reserveRefundLocked(tx, p, decision.amount, reason, 'saga', claim.eventId, request.refundKey);
          return { kind: 'refund_reserved', reservation, ...(decision.clamped ? { requested: decision.requested } : {}) } as const;
        }
      }
    });
  }

  async collectForOrder(claim: InboxClaim, orderId: string, amount: string): Promise<CommandEffect> {
    return this.db.$transaction(async (tx) => {
      if (!(await claimInbox(tx, claim.consumer, claim.eventId))) return { kind: 'duplicate' } as const;
      // Locked like a seller's collect/ and the refunds: neither can interleave with this.
      const payments = await lockOrderPayments(tx, orderId);
      // An amount above the payment's total throws here (invalid): the claim rolls back with the
      // transaction and the bus parks the command.
      const decision = decideCollection(payments.map(cashPayment), amount);
      switch (decision.kind) {
        case 'collected_before':
          return { kind: 'nothing', reason: `collected before (${decision.paymentId}, ${decision.totalAmount})` } as const;
        case 'nothing_to_collect':
          return { kind: 'nothing', reason: `no cash payment awaiting collection (${decision.why})` } as const;
        case 'collect': {
          const p = lockedRow(payments)(decision.paymentId);
          const now = this.clock.now();
          const ordered = decision.ordered
            ? { ordered_amount: decision.ordered.amount, ordered_gateway_fee: decision.ordered.gatewayFee, ordered_total_amount: decision.ordered.totalAmount }
            : {};
          const updated = await movePayment(tx, p, 'completed', {
            completedAt: now,
            gatewayTransactionId: cashTransactionId(p.paymentId),
            amount: decision.amount,
            gatewayFee: decision.gatewayFee,
            totalAmount: decision.totalAmount,
            metadata: json(collectedMetadata(asObject(p.metadata), 'stores', now, { collected_by_event: claim.eventId, ...ordered })),
          });
          await tx.paymentAttempt.updateMany({
            where: { paymentId: p.paymentId, status: { in: attemptTransitions.sourcesOf('succeeded', ['awaiting_collection']) } },
            data: { status: 'succeeded', completedAt: now },
          });
          // No event, as with collect/: payment.succeeded went out when the buyer chose cash on
          // delivery (awaiting_collection), and the order asked for this completion itself.
          return {
            kind: 'collected',
            payment: toPaymentRecord(updated),
            ...(decision.ordered ? { orderedTotalAmount: decision.ordered.totalAmount } : {}),
          } as const;
        }
      }
    });
  }

  /** Marks every charge in flight as voided by the order (once: the first request's reason stands). */
  private async requestVoidOfCharges(tx: Tx, payments: PaymentRow[], reason: string, eventId: string): Promise<number> {
    let n = 0;
    for (const p of payments) {
      if (p.status !== 'processing') continue;
      n += 1;
      const metadata = asObject(p.metadata);
      if (voidRequestOf(metadata)) continue;
      await tx.payment.update({
        where: { paymentId: p.paymentId },
        data: { metadata: json({ ...metadata, void_requested: { reason, requested_at: this.clock.now().toISOString(), event_id: eventId } }) },
      });
    }
    return n;
  }
}
