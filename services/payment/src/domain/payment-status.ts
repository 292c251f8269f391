import { transitionTable } from '@sudamall/shared';

// The payment state machine as data: every status the stores write goes through
// `paymentTransitions.transition()`, which throws on a move the table does not list, so a webhook
// replayed out of order or a late gateway answer can never move a payment backwards
// (completed → failed) or revive a cancelled one.

export const PAYMENT_STATUSES = ['pending', 'processing', 'completed', 'failed', 'expired', 'cancelled', 'refunded', 'partially_refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

const TRANSITIONS: Record<PaymentStatus, readonly PaymentStatus[]> = {
  // pending → completed: cash collected, or a gateway webhook for a charge we started.
  pending: ['processing', 'completed', 'cancelled', 'expired'],
  // processing → pending: the gateway needs the payer (PayPal approval) or cash on delivery.
  processing: ['completed', 'failed', 'pending'],
  // failed → completed: the gateway reports (webhook) that a charge we thought failed went through.
  failed: ['processing', 'completed', 'cancelled', 'expired'],
  completed: ['partially_refunded', 'refunded'],
  partially_refunded: ['partially_refunded', 'refunded'],
  refunded: [],
  // → completed only when a gateway confirms a capture after all (a 3-D Secure step finished
  // late, a webhook for an attempt we gave up on): the money is real, so it is recorded and
  // announced, and the saga refunds it (payment.succeeded on a cancelled order → payment.refund).
  expired: ['completed'],
  cancelled: ['completed'],
};

export const paymentTransitions = transitionTable<PaymentStatus>('payment', TRANSITIONS);

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return paymentTransitions.can(from, to);
}

/**
 * A `processing` attempt nobody came back for: started longer than the stale window ago (which
 * outlasts the longest gateway call), on the use cases' injected clock. The one rule both the
 * buyer's `process` and the row-locked claim apply; a payment without a start time is not stale
 * (as the sweep's `processing_started_at < $1` reads it).
 */
export function isStaleAttempt(payment: { status: PaymentStatus; processingStartedAt: Date | null }, now: Date, staleAfterSeconds: number): boolean {
  return (
    payment.status === 'processing' && payment.processingStartedAt !== null && payment.processingStartedAt.getTime() < now.getTime() - staleAfterSeconds * 1000
  );
}

/** Statuses a `process` call may start from (a declined card leaves the payment retryable). */
export const PROCESSABLE_STATUSES: readonly PaymentStatus[] = ['pending', 'failed'];

/** Statuses that count as the order's one live payment (mirrors the partial unique index). */
export const LIVE_STATUSES: readonly PaymentStatus[] = ['pending', 'processing', 'completed'];

/** Money was captured: refunds are possible. */
export const REFUNDABLE_STATUSES: readonly PaymentStatus[] = ['completed', 'partially_refunded'];

/** Nothing captured yet: a void cancels these. */
export const VOIDABLE_STATUSES: readonly PaymentStatus[] = ['pending', 'failed'];

export function isPaymentStatus(s: string): s is PaymentStatus {
  return (PAYMENT_STATUSES as readonly string[]).includes(s);
}

/**
 * What the order asked for while a charge was in flight (payment.void arrived during
 * `processing`): kept on the payment's metadata as `void_requested`, so the charge's ending
 * closes the payment instead of leaving it chargeable, and no new attempt starts.
 */
export interface VoidRequest {
  reason: string;
  requested_at: string;
  event_id: string;
}

export function voidRequestOf(metadata: Record<string, unknown>): VoidRequest | null {
  const v = metadata.void_requested;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const r = v as Partial<VoidRequest>;
  return typeof r.reason === 'string' ? (r as VoidRequest) : null;
}

/** A payment voided because the order's payment window closed is expired; any other void cancels it. */
export function voidedStatusFor(reason: string): 'expired' | 'cancelled' {
  return reason === 'payment_timeout' || reason === 'payment_window_expired' ? 'expired' : 'cancelled';
}
