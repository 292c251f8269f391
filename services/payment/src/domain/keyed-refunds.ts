import { formatMoney, invalid, isMoneyString, money } from '@sudamall/shared';
import { REFUNDABLE_STATUSES } from './payment-status';
import { refundableAmount, type RefundablePayment, type RefundStatus } from './refunds';

// payment.refund with a refund_key: a part of an order's captured payment (a store's part
// cancelled after payment, a return), named by the order's adjustment id so that a re-sent
// command (a new message id, the saga retrying) is answered and never refunded a second time.

/** The key is the order's id for its adjustment: short, printable, never blank. */
const REFUND_KEY = /^[\x21-\x7e]{1,200}$/;

export interface KeyedRefundRequest {
  refundKey: string;
  /** Undefined: everything that is left. */
  amount?: string;
}

/**
 * Checks the command's refund_key / amount. A malformed one is the sender's bug, not a state the
 * payment can answer: an `invalid` domain error, which the bus parks for an operator (a
 * deterministic failure) instead of retrying it forever or guessing an amount. An amount without
 * a key is refused too: a partial refund nobody names would be taken again by every re-send.
 * Returns null for the unkeyed command (the checkout saga's full refund, unchanged).
 */
export function keyedRefundRequest(data: { amount?: unknown; refund_key?: unknown }): KeyedRefundRequest | null {
  const { amount, refund_key: key } = data;
  if (key === undefined || key === null) {
    if (amount === undefined || amount === null) return null;
    throw invalid('REFUND_KEY_REQUIRED', 'a payment.refund with an amount must carry a refund_key', { amount });
  }
  if (typeof key !== 'string' || !REFUND_KEY.test(key)) {
    throw invalid('INVALID_REFUND_KEY', 'refund_key must be 1 to 200 printable characters', { refund_key: key });
  }
  if (amount === undefined || amount === null) return { refundKey: key };
  if (!isMoneyString(amount) || money(amount).lte(0)) {
    throw invalid('INVALID_REFUND_AMOUNT', 'the refund amount must be a positive decimal with at most two decimals', { amount });
  }
  return { refundKey: key, amount: formatMoney(amount) };
}

/** A refund already recorded under the command's key (any payment of the order). */
export interface KeyedRefundAttempt {
  refundId: string;
  status: RefundStatus;
}

export interface OrderPayment extends RefundablePayment {
  paymentId: string;
}

export type KeyedRefundDecision<R extends KeyedRefundAttempt> =
  /** Being refunded: its completion (payment.refunded or payment.refund_failed) answers. */
  | { kind: 'in_progress'; refund: R }
  /** Refunded before: the same answer again, nothing new. */
  | { kind: 'refunded_before'; refund: R }
  /**
   * A new refund of `amount` from `paymentId`. `clamped`: less than asked, because that is all
   * that is left. `retry`: every earlier attempt under this key was refused by the gateway.
   */
  | { kind: 'reserve'; paymentId: string; amount: string; requested: string | undefined; clamped: boolean; retry: boolean }
  /**
   * Nothing to give back: no money was captured (cash not collected yet, no payment), or every
   * captured cent is refunded or reserved already. Answered with 0.00; nothing is voided.
   */
  | { kind: 'nothing_to_refund'; paymentId: string | null; why: 'nothing_captured' | 'nothing_left' };

/**
 * What a keyed payment.refund does, given the refunds already under its key and the order's
 * payments, read with those payments locked (so two commands with one key, or two keys at once,
 * see each other's reservation). A pending or completed refund under the key answers the
 * command; only refusals (failed) leave room for a new attempt. Otherwise the asked amount is
 * taken from the captured payment, at most what is left of it: more than was captured never
 * goes back, whatever the sender computed.
 */
export function decideKeyedRefund<R extends KeyedRefundAttempt>(
  sameKey: readonly R[],
  payments: readonly OrderPayment[],
  requested: string | undefined,
): KeyedRefundDecision<R> {
  const pending = sameKey.find((r) => r.status === 'pending');
  if (pending) return { kind: 'in_progress', refund: pending };
  const completed = sameKey.find((r) => r.status === 'completed');
  if (completed) return { kind: 'refunded_before', refund: completed };

  const captured = payments.filter((p) => REFUNDABLE_STATUSES.includes(p.status) || p.status === 'refunded');
  if (captured.length === 0) return { kind: 'nothing_to_refund', paymentId: payments[payments.length - 1]?.paymentId ?? null, why: 'nothing_captured' };
  const from = captured.find((p) => money(refundableAmount(p)).gt(0));
  if (!from) return { kind: 'nothing_to_refund', paymentId: captured[0].paymentId, why: 'nothing_left' };
  const left = money(refundableAmount(from));
  const amount = requested === undefined || money(requested).gt(left) ? left : money(requested);
  return {
    kind: 'reserve',
    paymentId: from.paymentId,
    amount: formatMoney(amount),
    requested,
    clamped: requested !== undefined && money(requested).gt(left),
    retry: sameKey.length > 0,
  };
}
