import { conflict, formatMoney, invalid, isMoneyString, money } from '@sudamall/shared';
import { canTransition, type PaymentStatus } from './payment-status';

// payment.collect (issue 13): the stores collect cash on delivery fulfilment by fulfilment, in the
// order service; once every part of the order that is not cancelled is delivered and collected,
// the order asks payment to complete its cash payment for what the stores took. A store whose
// delivery was refused took nothing (its part was cancelled and refunded 0.00, since nothing was
// captured), so `amount` may be less than the payment's total, never more.

export const CASH_ON_DELIVERY = 'cash_on_delivery';

// The cash-on-delivery rule: `process` answers `pending` (nothing to charge online); the payment
// stays pending with metadata.awaiting_collection and payment.succeeded goes out at once, so the
// order ships; it completes when the cash is collected (a seller's or an admin's `collect/`, or
// the order's payment.collect), never by another charge.

/** `process` recorded the buyer's choice of cash on delivery: the payment waits for the cash. */
export function isAwaitingCollection(metadata: Record<string, unknown>): boolean {
  return metadata.awaiting_collection === true;
}

export function awaitingCollectionMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  return { ...metadata, awaiting_collection: true };
}

/** The gateway transaction a collected cash payment records. */
export const cashTransactionId = (paymentId: string) => `cod_${paymentId}`;

/** What a collected cash payment keeps on its metadata: who collected it and when. */
export function collectedMetadata(
  metadata: Record<string, unknown>,
  collectedBy: string,
  at: Date,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { ...metadata, awaiting_collection: false, collected_by: collectedBy, collected_at: at.toISOString(), ...extra };
}

/**
 * `collect/` by hand (a seller of a store in the order, an admin): only a cash-on-delivery payment
 * still pending completes. `announce`: payment.succeeded was not sent when the buyer chose cash on
 * delivery (no `process` call recorded it), so the completion announces it.
 */
export function collectByHand(p: { gateway: string; status: PaymentStatus; metadata: Record<string, unknown> }): { announce: boolean } {
  if (p.gateway !== CASH_ON_DELIVERY) {
    throw conflict('NOT_CASH_ON_DELIVERY', 'only cash-on-delivery payments are collected by hand', { gateway: p.gateway });
  }
  if (p.status !== 'pending') {
    throw conflict('PAYMENT_NOT_COLLECTABLE', `a ${p.status} payment cannot be marked collected`, { status: p.status });
  }
  return { announce: !isAwaitingCollection(p.metadata) };
}

/**
 * Checks the command's amount: a money string above zero, normalised to cents. Anything else is
 * the sender's bug (nothing collected at all is a cancellation, sent as payment.void): an
 * `invalid` domain error, thrown before anything is claimed, which the bus parks for an operator.
 */
export function collectedAmount(data: { amount?: unknown }): string {
  const { amount } = data;
  if (!isMoneyString(amount) || money(amount).lte(0)) {
    throw invalid('INVALID_COLLECT_AMOUNT', 'the collected amount must be a positive decimal with at most two decimals', { amount: amount ?? null });
  }
  return formatMoney(amount);
}

/** One of the order's payments, as the decision needs it (money as decimal strings). */
export interface OrderCashPayment {
  paymentId: string;
  gateway: string;
  status: PaymentStatus;
  amount: string;
  gatewayFee: string;
  totalAmount: string;
  /** metadata.awaiting_collection: `process` recorded the buyer's choice of cash on delivery. */
  awaitingCollection: boolean;
}

/** Statuses of a cash payment that was collected (and possibly refunded since). */
const COLLECTED_STATUSES: readonly PaymentStatus[] = ['completed', 'partially_refunded', 'refunded'];

export type CollectDecision =
  /**
   * Complete `paymentId` with these amounts (amount + gatewayFee = totalAmount, the table's check).
   * `ordered`: what the payment was for when less was collected (kept on its metadata); null when
   * the stores collected all of it.
   */
  | {
      kind: 'collect';
      paymentId: string;
      amount: string;
      gatewayFee: string;
      totalAmount: string;
      ordered: { amount: string; gatewayFee: string; totalAmount: string } | null;
    }
  /** Collected before (a re-sent command, or an admin who collected it by hand): nothing changes. */
  | { kind: 'collected_before'; paymentId: string; totalAmount: string }
  /** No cash payment awaits collection (none, not cash on delivery, cancelled): nothing changes. */
  | { kind: 'nothing_to_collect'; paymentId: string | null; why: 'no_payment' | 'not_cash_on_delivery' | 'not_awaiting_collection' };

/**
 * What payment.collect does to the order's payments, read with their rows locked. The cash
 * payment awaiting collection completes for what was collected: everything → unchanged amounts
 * (as a seller's `collect/` does); less → the payment becomes a payment of what was collected, so
 * "refunds never exceed what was captured" holds with nothing else changed. The gateway fee stays
 * (cash on delivery has none) and the goods' amount shrinks; a fee above what was collected is cut
 * to it. More than the payment's total cannot have been collected: refused as invalid (parked),
 * never completed with a guess.
 */
export function decideCollection(payments: readonly OrderCashPayment[], collected: string): CollectDecision {
  const cash = payments.filter((p) => p.gateway === CASH_ON_DELIVERY);
  const awaiting = cash.find((p) => p.status === 'pending' && p.awaitingCollection && canTransition(p.status, 'completed'));
  if (awaiting) {
    const total = money(awaiting.totalAmount);
    const got = money(collected);
    if (got.gt(total)) {
      throw invalid('INVALID_COLLECT_AMOUNT', 'the collected amount is more than the cash payment is for', {
        amount: collected,
        total_amount: awaiting.totalAmount,
        payment_id: awaiting.paymentId,
      });
    }
    if (got.eq(total)) {
      return {
        kind: 'collect',
        paymentId: awaiting.paymentId,
        amount: awaiting.amount,
        gatewayFee: awaiting.gatewayFee,
        totalAmount: awaiting.totalAmount,
        ordered: null,
      };
    }
    const fee = money(awaiting.gatewayFee).gt(got) ? got : money(awaiting.gatewayFee);
    return {
      kind: 'collect',
      paymentId: awaiting.paymentId,
      amount: formatMoney(got.minus(fee)),
      gatewayFee: formatMoney(fee),
      totalAmount: formatMoney(got),
      ordered: { amount: awaiting.amount, gatewayFee: awaiting.gatewayFee, totalAmount: awaiting.totalAmount },
    };
  }
  const done = cash.find((p) => COLLECTED_STATUSES.includes(p.status));
  if (done) return { kind: 'collected_before', paymentId: done.paymentId, totalAmount: done.totalAmount };
  if (payments.length === 0) return { kind: 'nothing_to_collect', paymentId: null, why: 'no_payment' };
  if (cash.length === 0) return { kind: 'nothing_to_collect', paymentId: payments[payments.length - 1].paymentId, why: 'not_cash_on_delivery' };
  return { kind: 'nothing_to_collect', paymentId: cash[cash.length - 1].paymentId, why: 'not_awaiting_collection' };
}
