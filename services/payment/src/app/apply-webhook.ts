import { conflict, invalid } from '@sudamall/shared';
import { paymentNotFound } from './access';
import { verifyStripeSignature } from '../domain/stripe-signature';
import type { Logger } from 'pino';
import type { RefundDuplicateCaptures } from './duplicate-captures';
import type { Clock, GatewayEventInput, GatewayEventResult, PaymentStore, WebhookStore } from './ports';

export interface WebhookAck {
  received: true;
  duplicate: boolean;
  applied: boolean;
  result: string;
}

const ack = (r: GatewayEventResult): WebhookAck =>
  r.duplicate
    ? { received: true, duplicate: true, applied: false, result: 'duplicate' }
    : { received: true, duplicate: false, applied: r.applied, result: r.result };

/** A field Stripe sends as a string (absent or anything else: empty). */
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

interface StripeEvent {
  id?: unknown;
  type?: unknown;
  data?: { object?: Record<string, unknown> };
}

/** Which payment a Stripe event is about, and what it says happened to it. */
export function mapStripeEvent(event: StripeEvent): Omit<GatewayEventInput, 'payload'> {
  const obj = event.data?.object ?? {};
  const metadata = (obj.metadata ?? {}) as Record<string, unknown>;
  const paymentId = typeof metadata.payment_id === 'string' ? metadata.payment_id : null;
  const base = { provider: 'stripe', eventId: String(event.id), type: String(event.type), paymentId };
  switch (event.type) {
    case 'payment_intent.succeeded':
      return { ...base, outcome: { kind: 'succeeded', transactionId: String(obj.id) } };
    case 'payment_intent.payment_failed': {
      const err = (obj.last_payment_error ?? {}) as Record<string, unknown>;
      const code = text(err.decline_code) || text(err.code) || 'card_declined';
      return { ...base, outcome: { kind: 'failed', code, message: typeof err.message === 'string' ? err.message : 'payment failed' } };
    }
    default:
      return { ...base, outcome: null };
  }
}

/**
 * POST /webhooks/stripe/: the signature is checked over the raw bytes before anything is read;
 * a forged or stale event is refused with 400 INVALID_SIGNATURE and changes nothing. Events are
 * recorded once per id (a replay is acknowledged as a duplicate) and applied only as a valid
 * state transition, so reordered events cannot move a payment backwards.
 */
export class ApplyStripeWebhook {
  constructor(
    private readonly webhooks: WebhookStore,
    private readonly duplicates: RefundDuplicateCaptures,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async execute(rawBody: Buffer, signatureHeader: string | undefined, secret: string, toleranceSeconds: number): Promise<WebhookAck> {
    const check = verifyStripeSignature(rawBody, signatureHeader, secret, {
      toleranceSeconds,
      nowSeconds: Math.floor(this.clock.now().getTime() / 1000),
    });
    if (!check.ok) throw invalid('INVALID_SIGNATURE', `webhook signature rejected: ${check.reason}`);
    let event: StripeEvent;
    try {
      event = JSON.parse(rawBody.toString('utf8')) as StripeEvent;
    } catch {
      throw invalid('MALFORMED_JSON', 'the webhook body is not JSON');
    }
    if (typeof event.id !== 'string' || typeof event.type !== 'string') {
      throw invalid('INVALID_EVENT', 'a Stripe event needs an id and a type');
    }
    const mapped = mapStripeEvent(event);
    const result = await this.webhooks.applyGatewayEvent({ ...mapped, payload: event as Record<string, unknown> });
    // A second capture (the buyer paid twice) is refunded now; the recovery sweep retries it.
    if (!result.duplicate && result.duplicateCapture) await this.duplicates.refundDetected(result.duplicateCapture.paymentId);
    this.logger.info({ provider: 'stripe', event_id: event.id, type: event.type, result: ack(result).result }, 'webhook handled');
    return ack(result);
  }
}

export interface SimulatedWebhookInput {
  paymentId: string;
  event: 'payment.succeeded' | 'payment.failed';
  eventId: string;
  transactionId?: string;
  failureCode?: string;
}

/**
 * Test mode: what a gateway webhook would do, through the same dedup and state checks. Only a
 * test-gateway payment: a simulated success on a Stripe, PayPal or cash payment would mark money
 * received that no gateway ever took.
 */
export class ApplySimulatedWebhook {
  constructor(
    private readonly payments: PaymentStore,
    private readonly webhooks: WebhookStore,
    private readonly duplicates: RefundDuplicateCaptures,
  ) {}

  async execute(input: SimulatedWebhookInput): Promise<WebhookAck> {
    const payment = await this.payments.findPayment(input.paymentId);
    if (!payment) throw paymentNotFound(input.paymentId);
    if (payment.gateway !== 'test_gateway') {
      throw conflict('NOT_TEST_GATEWAY_PAYMENT', 'only test-gateway payments take simulated webhooks', {
        payment_id: payment.paymentId,
        gateway: payment.gateway,
      });
    }
    const outcome: GatewayEventInput['outcome'] =
      input.event === 'payment.succeeded'
        ? { kind: 'succeeded', transactionId: input.transactionId ?? `test_txn_${input.eventId.slice(0, 12)}` }
        : { kind: 'failed', code: input.failureCode ?? 'card_declined', message: 'simulated failure' };
    const result = await this.webhooks.applyGatewayEvent({
      provider: 'test',
      eventId: input.eventId,
      type: input.event,
      paymentId: input.paymentId,
      payload: { event: input.event, payment_id: input.paymentId, transaction_id: input.transactionId ?? null },
      outcome,
    });
    if (!result.duplicate && result.duplicateCapture) await this.duplicates.refundDetected(result.duplicateCapture.paymentId);
    return ack(result);
  }
}
