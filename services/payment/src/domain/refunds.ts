import { formatMoney, isDomainError, money, type Decimal } from '@sudamall/shared';
import { conflict, invalid } from '@sudamall/shared';
import { REFUNDABLE_STATUSES, type PaymentStatus } from './payment-status';
import { transitionTable } from '@sudamall/shared';

export interface RefundablePayment {
  status: PaymentStatus;
  /** What the buyer was charged (amount + gateway fee): the most that can ever go back. */
  totalAmount: Decimal | string;
  /** Refunds already reserved (pending) or completed. */
  refundedAmount: Decimal | string;
}

/**
 * What can still be refunded: everything charged minus what is reserved or refunded already;
 * nothing while no money was captured.
 */
export function refundableAmount(payment: RefundablePayment): string {
  if (!REFUNDABLE_STATUSES.includes(payment.status)) return '0.00';
  const left = money(payment.totalAmount).minus(money(payment.refundedAmount));
  return formatMoney(left.isNegative() ? money(0) : left);
}

/**
 * How much a new refund may take. Called with the payment row locked, so two concurrent refunds
 * see each other's reservation and their sum can never exceed what was charged.
 * `requested` undefined means "everything that is left" (fee included: the buyer paid it).
 */
export function decideRefundAmount(payment: RefundablePayment, requested?: string): string {
  if (!REFUNDABLE_STATUSES.includes(payment.status)) {
    throw conflict('REFUND_NOT_ALLOWED', `only completed payments can be refunded (status is ${payment.status})`, {
      status: payment.status,
    });
  }
  const remaining = money(refundableAmount(payment));
  if (remaining.lte(0)) {
    throw conflict('PAYMENT_FULLY_REFUNDED', 'the payment has already been refunded in full', { remaining: '0.00' });
  }
  if (requested === undefined) return formatMoney(remaining);
  const amount = money(requested);
  if (amount.lte(0)) throw invalid('INVALID_REFUND_AMOUNT', 'the refund amount must be positive');
  if (amount.gt(remaining)) {
    throw conflict('REFUND_EXCEEDS_REMAINING', `at most ${formatMoney(remaining)} can still be refunded`, {
      remaining: formatMoney(remaining),
      requested: formatMoney(amount),
    });
  }
  return formatMoney(amount);
}

/** Status after the refunds that completed so far, against what was charged. */
export function statusAfterRefunds(totalAmount: Decimal | string, completedRefunds: Decimal | string): PaymentStatus {
  return money(completedRefunds).gte(money(totalAmount)) ? 'refunded' : 'partially_refunded';
}

// A refund only ever settles once: pending until the gateway's answer (or its own records) say
// what happened, then completed or failed for good.
export type RefundStatus = 'pending' | 'completed' | 'failed';

export const refundTransitions = transitionTable<RefundStatus>('refund', {
  pending: ['completed', 'failed'],
  completed: [],
  failed: [],
});

export function canRefundTransition(from: RefundStatus, to: RefundStatus): boolean {
  return refundTransitions.can(from, to);
}

/**
 * What a failed gateway call means for a refund. Only a definite answer that nothing was
 * refunded (the gateway refused the request, or there is no gateway to send it to) fails the
 * refund and releases its amount; a timeout, an outage or an idempotency clash may hide a refund
 * that went through, so it stays pending and is reconciled against the gateway.
 */
export function refundErrorOutcome(error: unknown): 'rejected' | 'unknown' {
  if (!isDomainError(error)) return 'unknown';
  return error.kind === 'invalid' || error.kind === 'unprocessable' || error.kind === 'not_found' ? 'rejected' : 'unknown';
}
