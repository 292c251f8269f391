import { isDomainError } from '@sudamall/shared';
import { chargeIdempotencyKey } from '../domain/idempotency';
import { refundDetectedDuplicate } from './duplicate-captures';
import type { UseCaseDeps } from './deps';
import type { ChargeRequest, ChargeResult, LookupResult, PaymentInput, ProcessingClaim } from './ports';
import type { PaymentRecord } from './records';

/**
 * What the gateway is asked to charge for a claimed attempt: the payment's total, under the
 * attempt's own idempotency key, with the previous attempt's reference (the gateway settles it first).
 */
export function chargeRequestFor(claim: ProcessingClaim, input: PaymentInput): ChargeRequest {
  const p = claim.payment;
  return {
    paymentId: p.paymentId,
    orderId: p.orderReference,
    attemptNumber: claim.attemptNumber,
    idempotencyKey: claim.idempotencyKey,
    amount: p.totalAmount,
    currency: p.currency,
    input,
    previousReference: p.gatewayReference,
  };
}

/**
 * Records a gateway's answer for an attempt. A success that the payment does not keep (it was
 * already paid with another transaction, or another payment of the order is live) has just been
 * recorded as a duplicate capture: it is refunded now, and by the sweep if that fails.
 */
export async function recordChargeResult(deps: UseCaseDeps, paymentId: string, attemptNumber: number, result: ChargeResult): Promise<PaymentRecord> {
  const updated = await deps.charges.recordChargeOutcome(paymentId, attemptNumber, result);
  if (result.status === 'succeeded' && updated.gatewayTransactionId !== result.transactionId) {
    await refundDetectedDuplicate(deps, paymentId);
  }
  return updated;
}

/**
 * Asks the payment's gateway what became of its current attempt. null: the gateway could not be
 * asked (not configured, unreachable), so nothing may be decided yet.
 */
export async function lookupCurrentAttempt(deps: UseCaseDeps, payment: PaymentRecord): Promise<LookupResult | null> {
  const gateway = deps.gateways.get(payment.gateway);
  if (!gateway) return null;
  try {
    return await gateway.lookup({
      paymentId: payment.paymentId,
      orderId: payment.orderReference,
      attemptNumber: payment.attemptCount,
      idempotencyKey: chargeIdempotencyKey(payment.paymentId, payment.attemptCount),
      reference: payment.gatewayReference,
      amount: payment.totalAmount,
      currency: payment.currency,
    });
  } catch (err) {
    deps.logger.warn({ err, payment_id: payment.paymentId, attempt: payment.attemptCount }, 'gateway lookup failed: the attempt stays open');
    return null;
  }
}

/**
 * A gateway error after which the charge may or may not have happened: an outage, a timeout, or
 * the gateway still holding a request with the same idempotency key. The attempt stays open.
 */
export function isUnknownOutcome(e: unknown): boolean {
  return !isDomainError(e) || e.kind === 'unavailable' || e.code === 'GATEWAY_IDEMPOTENCY_CONFLICT';
}
