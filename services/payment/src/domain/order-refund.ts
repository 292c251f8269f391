import { money } from '@sudamall/shared';
import type { OrderPayment } from './keyed-refunds';
import { REFUNDABLE_STATUSES, VOIDABLE_STATUSES } from './payment-status';

// payment.refund without a refund_key: the saga's compensation gives back everything the buyer
// paid for the order, fee included (the platform cancelled it). The saga waits for
// payment.refunded, so every case is answered with one, except a refund or a charge still in
// flight, whose completion answers. Decided with the order's payment rows locked.

/** The captured payment with something left to refund: all of what is left is reserved. */
export function paymentToRefundInFull<P extends OrderPayment>(payments: readonly P[]): P | undefined {
  return payments.find((p) => REFUNDABLE_STATUSES.includes(p.status) && money(p.totalAmount).gt(money(p.refundedAmount)));
}

export type OrderRefundAnswer<P extends OrderPayment> =
  /** A refund or a charge in flight: its completion answers (payment.refunded, or payment.succeeded which the saga answers with another payment.refund). */
  | { kind: 'wait'; reason: 'refund in progress' | 'charge in progress' }
  /**
   * Nothing to reserve: whatever could still be charged is cancelled (`voidable`, one
   * payment.voided each), then payment.refunded answers with what `refundedBefore` gave back
   * already, or 0.00 naming `latest` (nothing was ever captured: cash not collected, card never
   * charged, no payment).
   */
  | { kind: 'answer'; voidable: P[]; refundedBefore: P | null; latest: P | null };

/** When paymentToRefundInFull found nothing; `pendingRefunds`: the order's refunds still pending. */
export function orderRefundAnswer<P extends OrderPayment>(payments: readonly P[], pendingRefunds: number): OrderRefundAnswer<P> {
  if (pendingRefunds > 0) return { kind: 'wait', reason: 'refund in progress' };
  if (payments.some((p) => p.status === 'processing')) return { kind: 'wait', reason: 'charge in progress' };
  return {
    kind: 'answer',
    voidable: payments.filter((p) => VOIDABLE_STATUSES.includes(p.status)),
    refundedBefore: payments.find((p) => p.status === 'refunded' || p.status === 'partially_refunded') ?? null,
    latest: payments[payments.length - 1] ?? null,
  };
}
