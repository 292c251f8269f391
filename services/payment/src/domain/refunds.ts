import { formatMoney, money, type Decimal } from '@sudamall/shared';
import { conflict, invalid } from '@sudamall/shared';
import { REFUNDABLE_STATUSES, type PaymentStatus } from './payment-status';

export interface RefundablePayment {
  status: PaymentStatus;
  amount: Decimal | string;
  /** Refunds already reserved (pending) or completed. */
  refundedAmount: Decimal | string;
}

/**
 * How much a new refund may take. Called with the payment row locked, so two concurrent refunds
 * see each other's reservation and their sum can never exceed the amount.
 * `requested` undefined means "everything that is left".
 */
export function decideRefundAmount(payment: RefundablePayment, requested?: string): string {
  if (!REFUNDABLE_STATUSES.includes(payment.status)) {
    throw conflict('REFUND_NOT_ALLOWED', `only completed payments can be refunded (status is ${payment.status})`, {
      status: payment.status,
    });
  }
  const remaining = money(payment.amount).minus(money(payment.refundedAmount));
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

/** Status after the refunds that completed so far. */
export function statusAfterRefunds(amount: Decimal | string, completedRefunds: Decimal | string): PaymentStatus {
  return money(completedRefunds).gte(money(amount)) ? 'refunded' : 'partially_refunded';
}
