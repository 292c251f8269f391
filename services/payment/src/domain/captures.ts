import { canTransition, REFUNDABLE_STATUSES, type PaymentStatus } from './payment-status';
import { transitionTable } from '@sudamall/shared';

// A gateway says money was captured for a payment (a charge answer, a lookup or a webhook). What
// that means is decided here, with the payment row locked by the store: the payment's capture, a
// replay of the capture already recorded, or a second capture: money the buyer paid twice, recorded
// once per gateway transaction (duplicate_captures) for its automatic refund.

export interface CapturedPayment {
  status: PaymentStatus;
  gatewayTransactionId: string | null;
}

/**
 * Whether a capture that could complete this payment competes with another live payment of the
 * order (which then keeps the order): only for a payment that is not itself the live one (a late
 * capture of a failed, expired or cancelled payment). The store looks that payment up only then.
 */
export function captureMayCompete(p: CapturedPayment): boolean {
  return canTransition(p.status, 'completed') && p.status !== 'processing' && p.status !== 'pending';
}

export type CaptureVerdict =
  /** The payment's capture: it completes, announced with payment.succeeded. */
  | 'complete'
  /** A second capture (paid with another transaction already, or another payment of the order is live). */
  | 'duplicate'
  /** The capture already recorded, reported again (a replayed answer, a redelivered webhook). */
  | 'replayed'
  /** Nothing to do (a status no capture can change). */
  | 'ignored';

/** `anotherLivePayment`: another payment of the order is live (asked only when captureMayCompete). */
export function captureVerdict(p: CapturedPayment, transactionId: string, anotherLivePayment: boolean): CaptureVerdict {
  if (canTransition(p.status, 'completed')) return anotherLivePayment ? 'duplicate' : 'complete';
  if (REFUNDABLE_STATUSES.includes(p.status) || p.status === 'refunded') return p.gatewayTransactionId === transactionId ? 'replayed' : 'duplicate';
  return 'ignored';
}

/** A duplicate capture's automatic refund: pending until the gateway refunds it or refuses for good. */
export type DuplicateCaptureStatus = 'refund_pending' | 'refunded' | 'refund_failed';

export const duplicateCaptureTransitions = transitionTable<DuplicateCaptureStatus>('duplicate capture', {
  refund_pending: ['refunded', 'refund_failed'],
  refunded: [],
  refund_failed: [],
});
