import { isDomainError, notFound } from '@sudamall/shared';
import { refundIdempotencyKey } from '../domain/idempotency';
import { paymentNotFound } from './access';
import type { Actor, UseCaseDeps } from './deps';
import type { RefundReservation } from './ports';
import type { PaymentRecord, RefundRecord } from './records';

export interface CreateRefundInput {
  paymentId: string;
  /** Omitted: everything not yet refunded. */
  amount?: string;
  reason: string;
}

/**
 * Sends a reserved refund to the gateway and records the answer. `retryLater`: on a gateway
 * failure the refund stays pending for `resumePendingRefunds` (saga commands must not be lost);
 * otherwise it fails and its amount is released.
 */
export async function executeRefund(deps: UseCaseDeps, reservation: RefundReservation, retryLater: boolean): Promise<RefundReservation> {
  const { refund, payment } = reservation;
  const gateway = deps.gateways.get(payment.gateway);
  try {
    if (!gateway) throw notFound('GATEWAY_NOT_AVAILABLE', `gateway ${payment.gateway} is not available`);
    const result = await gateway.refund({
      paymentId: payment.paymentId,
      refundId: refund.refundId,
      idempotencyKey: refundIdempotencyKey(refund.refundId),
      transactionId: payment.gatewayTransactionId,
      reference: payment.gatewayReference,
      amount: refund.amount,
      currency: payment.currency,
      reason: refund.reason,
    });
    return await deps.repo.completeRefund(refund.refundId, result.gatewayRefundId);
  } catch (e) {
    const transient = !isDomainError(e) || e.kind === 'unavailable';
    deps.logger.warn({ refund_id: refund.refundId, payment_id: payment.paymentId, err: (e as Error).message, transient }, 'refund at the gateway failed');
    if (retryLater && transient) return reservation;
    await deps.repo.failRefund(refund.refundId, isDomainError(e) ? e.code : 'GATEWAY_ERROR');
    throw e;
  }
}

/** Admin refund: full by default; the sum of refunds never exceeds the amount (row lock). */
export async function createRefund(deps: UseCaseDeps, actor: Actor, input: CreateRefundInput): Promise<{ refund: RefundRecord; payment: PaymentRecord }> {
  const payment = await deps.repo.findPayment(input.paymentId);
  if (!payment) throw paymentNotFound(input.paymentId);
  const reservation = await deps.repo.reserveRefund({
    paymentId: payment.paymentId,
    amount: input.amount,
    reason: input.reason,
    requestedBy: actor.id,
  });
  return executeRefund(deps, reservation, false);
}

/** Refunds left pending by a gateway outage or a crash, retried with their own idempotency keys. */
export async function resumePendingRefunds(deps: UseCaseDeps, olderThanSeconds: number): Promise<number> {
  const stale = await deps.repo.findStalePendingRefunds(new Date(deps.clock.now().getTime() - olderThanSeconds * 1000), 50);
  let done = 0;
  for (const refund of stale) {
    const payment = await deps.repo.findPayment(refund.paymentId);
    if (!payment) continue;
    const after = await executeRefund(deps, { refund, payment }, true).catch(() => null);
    if (after && after.refund.status === 'completed') done += 1;
  }
  return done;
}
