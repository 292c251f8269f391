import { isDomainError } from '@sudamall/shared';
import { chargeIdempotencyKey } from '../domain/idempotency';
import type { Logger } from 'pino';
import type { RefundDuplicateCaptures } from './duplicate-captures';
import type { ChargeRequest, ChargeResult, ChargeStore, GatewayRegistry, LookupResult, PaymentInput, ProcessingClaim } from './ports';
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
 * What a gateway's answer does to a payment, shared by ProcessPayment and ResumeStalePayments.
 * Not a use case of its own: a collaborator they are given (built once by the container).
 */
export class ChargeOutcomes {
  constructor(
    private readonly charges: ChargeStore,
    private readonly gateways: GatewayRegistry,
    private readonly duplicates: RefundDuplicateCaptures,
    private readonly logger: Logger,
  ) {}

  /**
   * Records a gateway's answer for an attempt. A success that the payment does not keep (it was
   * already paid with another transaction, or another payment of the order is live) has just been
   * recorded as a duplicate capture: it is refunded now, and by the sweep if that fails.
   */
  async record(paymentId: string, attemptNumber: number, result: ChargeResult): Promise<PaymentRecord> {
    const updated = await this.charges.recordChargeOutcome(paymentId, attemptNumber, result);
    if (result.status === 'succeeded' && updated.gatewayTransactionId !== result.transactionId) {
      await this.duplicates.refundDetected(paymentId);
    }
    return updated;
  }

  /**
   * Asks the payment's gateway what became of its current attempt. null: the gateway could not be
   * asked (not configured, unreachable), so nothing may be decided yet.
   */
  async lookupCurrentAttempt(payment: PaymentRecord): Promise<LookupResult | null> {
    const gateway = this.gateways.get(payment.gateway);
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
      this.logger.warn({ err, payment_id: payment.paymentId, attempt: payment.attemptCount }, 'gateway lookup failed: the attempt stays open');
      return null;
    }
  }
}

/**
 * A gateway error after which the charge may or may not have happened: an outage, a timeout, or
 * the gateway still holding a request with the same idempotency key. The attempt stays open.
 */
export function isUnknownOutcome(e: unknown): boolean {
  return !isDomainError(e) || e.kind === 'unavailable' || e.code === 'GATEWAY_IDEMPOTENCY_CONFLICT';
}
