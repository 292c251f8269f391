import { conflict, isDomainError } from '@sudamall/shared';
import { cardLast4, normalizeCardNumber } from '../domain/card';
import { isStaleAttempt, PROCESSABLE_STATUSES, voidRequestOf } from '../domain/payment-status';
import { assertOwner, paymentNotFound } from './access';
import type { Logger } from 'pino';
import { chargeRequestFor, isUnknownOutcome, type ChargeOutcomes } from './charge-outcome';
import { notPayable } from './create-payment';
import type { Actor } from './deps';
import type { ChargeResult, ChargeStore, Clock, GatewayRegistry, OrdersPort, PaymentInput, PaymentStore } from './ports';
import type { PaymentRecord } from './records';

export interface ProcessPaymentInput extends PaymentInput {
  paymentId: string;
}

export type ProcessOutcome = 'succeeded' | 'failed' | 'requires_action' | 'awaiting_collection' | 'processing';

export interface ProcessPaymentResult {
  payment: PaymentRecord;
  attemptNumber: number;
  outcome: ProcessOutcome;
  failureCode: string | null;
  failureMessage: string | null;
  /** A declined card can be retried with another card while the order's window is open. */
  retryable: boolean;
  actionUrl: string | null;
}

function whyNotProcessable(payment: PaymentRecord) {
  if (payment.metadata.awaiting_collection === true) {
    return conflict('PAYMENT_AWAITING_COLLECTION', 'cash on delivery: the payment is collected on delivery', { status: payment.status });
  }
  switch (payment.status) {
    case 'processing':
      return conflict('PAYMENT_IN_PROGRESS', 'the payment is being processed', { status: payment.status });
    case 'completed':
    case 'refunded':
    case 'partially_refunded':
      return conflict('PAYMENT_ALREADY_COMPLETED', 'the payment has already been made', { status: payment.status });
    default:
      return conflict('PAYMENT_NOT_PROCESSABLE', `a ${payment.status} payment cannot be processed`, { status: payment.status });
  }
}

/** The order asked for a void while a charge was in flight: the payment takes no new attempt. */
function voidRequested(payment: PaymentRecord, reason: string) {
  return conflict('PAYMENT_VOID_REQUESTED', 'the order asked for this payment to be voided: it cannot be charged', { status: payment.status, reason });
}

const OUTCOME: Record<ChargeResult['status'], ProcessOutcome> = {
  succeeded: 'succeeded',
  declined: 'failed',
  requires_action: 'requires_action',
  pending: 'awaiting_collection',
  processing: 'processing',
};

/**
 * Charges a payment at its gateway, once. The database decides who may charge: a conditional
 * status change pending|failed → processing under the row lock, so of ten concurrent calls one
 * charges and nine get 409 PAYMENT_IN_PROGRESS. The gateway call runs outside any transaction
 * with an idempotency key per (payment, attempt).
 */
export class ProcessPayment {
  constructor(
    private readonly payments: PaymentStore,
    private readonly charges: ChargeStore,
    private readonly orders: OrdersPort,
    private readonly gateways: GatewayRegistry,
    private readonly outcomes: ChargeOutcomes,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly staleProcessingSeconds: number,
  ) {}

  async execute(actor: Actor, input: ProcessPaymentInput): Promise<ProcessPaymentResult> {
    const payment = await this.payments.findPayment(input.paymentId);
    if (!payment) throw paymentNotFound(input.paymentId);
    assertOwner(actor, payment);
    const gateway = this.gateways.get(payment.gateway);
    if (!gateway) throw conflict('GATEWAY_NOT_AVAILABLE', `gateway ${payment.gateway} is not available`);

    const paymentInput: PaymentInput = {
      ...(input.cardNumber ? { cardNumber: normalizeCardNumber(input.cardNumber) } : {}),
      ...(input.expMonth !== undefined ? { expMonth: input.expMonth } : {}),
      ...(input.expYear !== undefined ? { expYear: input.expYear } : {}),
      ...(input.cvc ? { cvc: input.cvc } : {}),
      ...(input.paymentMethodId ? { paymentMethodId: input.paymentMethodId } : {}),
    };
    gateway.validateInput(paymentInput);

    const stale = isStaleAttempt(payment, this.clock.now(), this.staleProcessingSeconds);
    if ((!PROCESSABLE_STATUSES.includes(payment.status) && !stale) || payment.metadata.awaiting_collection === true) {
      throw whyNotProcessable(payment);
    }
    if (stale) {
      // An attempt nobody came back for: the gateway says what became of it before anything is
      // charged. Only one it never saw is replayed (below, with its own idempotency key).
      const found = await this.outcomes.lookupCurrentAttempt(payment);
      if (!found || found.status === 'processing') throw whyNotProcessable(payment);
      if (found.status !== 'not_found') {
        const updated = await this.outcomes.record(payment.paymentId, payment.attemptCount, found);
        return resultOf(updated, payment.attemptCount, found);
      }
    }

    const voidRequest = voidRequestOf(payment.metadata);
    if (voidRequest) {
      // The gateway never saw the stale attempt: nothing was charged, so it closes as the void asked.
      if (stale) {
        await this.charges.recordAttemptError(
          payment.paymentId,
          payment.attemptCount,
          { code: 'NOT_CHARGED', message: 'the gateway never saw the attempt' },
          false,
        );
      }
      throw voidRequested(payment, voidRequest.reason);
    }

    // The order decides whether it can still be paid (window, cancellation); asked before every charge.
    const order = await this.orders.getOrderForPayment(payment.orderReference);
    const windowClosed = order.paymentExpiresAt !== null && order.paymentExpiresAt.getTime() <= this.clock.now().getTime();
    if (!order.payable || windowClosed) {
      const expired = windowClosed || order.reason === 'PAYMENT_WINDOW_EXPIRED';
      await this.payments.closePayment(
        payment.paymentId,
        expired ? 'expired' : 'cancelled',
        expired ? 'payment_window_expired' : order.reason || 'order_not_payable',
      );
      throw notPayable(expired ? { ...order, payable: false, reason: 'PAYMENT_WINDOW_EXPIRED' } : order);
    }

    const claim = await this.charges.claimForProcessing({
      paymentId: payment.paymentId,
      staleAfterSeconds: this.staleProcessingSeconds,
      now: this.clock.now(),
      cardLast4: cardLast4(paymentInput.cardNumber),
      paymentMethodId: paymentInput.paymentMethodId ?? null,
      seen: payment,
    });
    if (!claim) {
      const now = await this.payments.findPayment(payment.paymentId);
      throw whyNotProcessable(now ?? payment);
    }

    let result: ChargeResult;
    try {
      result = await gateway.charge(chargeRequestFor(claim, paymentInput));
    } catch (e) {
      // Unavailable: the charge may or may not have happened, so the attempt stays open and a
      // later process call resumes it with the same idempotency key. Anything else: it did not.
      const unknownOutcome = isUnknownOutcome(e);
      const code = isDomainError(e) ? e.code : 'GATEWAY_ERROR';
      await this.charges.recordAttemptError(payment.paymentId, claim.attemptNumber, { code, message: (e as Error).message }, unknownOutcome);
      this.logger.warn({ payment_id: payment.paymentId, attempt: claim.attemptNumber, code }, 'gateway call failed');
      throw e;
    }

    const updated = await this.outcomes.record(payment.paymentId, claim.attemptNumber, result);
    this.logger.info(
      { payment_id: payment.paymentId, order_id: payment.orderReference, attempt: claim.attemptNumber, outcome: result.status },
      'payment attempt finished',
    );
    return resultOf(updated, claim.attemptNumber, result);
  }
}

function resultOf(updated: PaymentRecord, attemptNumber: number, result: ChargeResult): ProcessPaymentResult {
  return {
    payment: updated,
    attemptNumber,
    outcome: OUTCOME[result.status],
    failureCode: result.status === 'declined' ? result.code : null,
    failureMessage: result.status === 'declined' ? result.message : null,
    retryable: result.status === 'declined' && updated.status === 'failed',
    actionUrl: result.status === 'requires_action' ? (result.actionUrl ?? null) : null,
  };
}
