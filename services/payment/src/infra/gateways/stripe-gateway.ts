import Stripe from 'stripe';
import { conflict, invalid, unavailable } from '@sudamall/shared';
import { toMinorUnits } from '../../domain/fees';
import type {
  ChargeRequest,
  ChargeResult,
  GatewayRaw,
  LookupRequest,
  LookupResult,
  PaymentGateway,
  PaymentInput,
  RefundLookupRequest,
  RefundLookupResult,
  RefundRequest,
  RefundResult,
  VoidRequest,
} from '../../app/ports';

export interface StripeGatewayOptions {
  secretKey: string;
  /** Unset: api.stripe.com. Tests point these at a local fake (localstripe). */
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  /** Per request; with maxNetworkRetries this bounds how long one charge call can last. */
  timeoutMs?: number;
  maxNetworkRetries?: number;
  /**
   * Send `automatic_payment_methods: { enabled, allow_redirects: 'never' }` (what Stripe wants for
   * a server-side confirm without a return_url). localstripe does not know the parameter.
   */
  automaticPaymentMethods?: boolean;
  /** Inject a client (tests that record requests). */
  client?: Stripe;
}

const PAYMENT_METHOD_ID = /^(pm|card|src)_[A-Za-z0-9_]+$/;

export const STRIPE_DEFAULT_TIMEOUT_MS = 20_000;
export const STRIPE_DEFAULT_MAX_NETWORK_RETRIES = 2;

/**
 * Stripe PaymentIntents, created and confirmed in one call with automatic capture. Every call
 * carries an idempotency key (payment id + attempt number, refund id), and the SDK's own
 * network retries reuse it, so a timeout followed by a retry never charges twice.
 *
 * One payment, one chargeable intent: before an attempt creates its intent, the intent of the
 * previous attempt (the payment's gateway_reference) is settled. Captured or in flight: that is
 * the answer, nothing new is created. Still chargeable (requires_action: a 3-D Secure step the
 * buyer may yet finish; requires_payment_method): it is cancelled first, so it can never capture
 * beside the new one. Cancel-then-create rather than update-then-confirm: Stripe lets a
 * requires_action intent be cancelled, and localstripe (the test peer) implements neither a
 * payment method change on confirm nor an update out of requires_action.
 */
export class StripeGateway implements PaymentGateway {
  readonly name = 'stripe';
  private readonly stripe: Stripe;
  private readonly automaticPaymentMethods: boolean;

  constructor(opts: StripeGatewayOptions) {
    this.automaticPaymentMethods = opts.automaticPaymentMethods ?? true;
    this.stripe =
      opts.client ??
      new Stripe(opts.secretKey, {
        host: opts.host,
        port: opts.port,
        protocol: opts.protocol,
        timeout: opts.timeoutMs ?? STRIPE_DEFAULT_TIMEOUT_MS,
        maxNetworkRetries: opts.maxNetworkRetries ?? STRIPE_DEFAULT_MAX_NETWORK_RETRIES,
        telemetry: false,
      });
  }

  validateInput(input: PaymentInput): void {
    if (!input.paymentMethodId) {
      throw invalid('PAYMENT_METHOD_REQUIRED', 'payment_method_id (a Stripe PaymentMethod, pm_...) is required for stripe');
    }
    if (!PAYMENT_METHOD_ID.test(input.paymentMethodId)) {
      throw invalid('INVALID_PAYMENT_METHOD', 'payment_method_id is not a Stripe PaymentMethod id');
    }
  }

  async charge(req: ChargeRequest): Promise<ChargeResult> {
    this.validateInput(req.input);
    const settled = await this.settlePreviousIntent(req);
    if (settled) return settled;
    try {
      const intent = await this.stripe.paymentIntents.create(
        {
          amount: toMinorUnits(req.amount),
          currency: req.currency.toLowerCase(),
          payment_method: req.input.paymentMethodId,
          capture_method: 'automatic',
          confirm: true,
          ...(this.automaticPaymentMethods ? { automatic_payment_methods: { enabled: true, allow_redirects: 'never' as const } } : {}),
          metadata: { payment_id: req.paymentId, order_id: req.orderId, attempt_number: String(req.attemptNumber) },
        },
        { idempotencyKey: req.idempotencyKey },
      );
      return this.fromIntent(intent);
    } catch (e) {
      return this.declineOrThrow(e);
    }
  }

  /**
   * The payment's earlier intent, before a new one is made: its own answer when it captured or
   * is capturing (or when it is this very attempt, replayed), null once it can no longer charge.
   */
  private async settlePreviousIntent(req: ChargeRequest): Promise<ChargeResult | null> {
    const id = req.previousReference?.startsWith('pi_') ? req.previousReference : null;
    if (!id) return null;
    let intent: Stripe.PaymentIntent;
    try {
      intent = await this.stripe.paymentIntents.retrieve(id);
    } catch (e) {
      // Stripe does not know it (another account, a test clock reset): nothing of it can charge.
      if (e instanceof Stripe.errors.StripeInvalidRequestError && e.statusCode === 404) return null;
      throw this.mapError(e);
    }
    if (intent.metadata?.payment_id !== req.paymentId) return null;
    if (intent.metadata?.attempt_number === String(req.attemptNumber)) return this.fromIntent(intent);
    if (intent.status === 'canceled') return null;
    if (intent.status === 'succeeded' || intent.status === 'processing' || intent.status === 'requires_capture') return this.fromIntent(intent);
    try {
      intent = await this.stripe.paymentIntents.cancel(id, {}, { idempotencyKey: `cancel:${id}` });
    } catch (e) {
      // Refused: it moved on meanwhile (the buyer finished 3-D Secure a moment ago). Ask again.
      if (!(e instanceof Stripe.errors.StripeInvalidRequestError)) throw this.mapError(e);
      intent = await this.retrieve(id);
    }
    if (intent.status === 'canceled') return null;
    if (intent.status === 'succeeded' || intent.status === 'processing' || intent.status === 'requires_capture') return this.fromIntent(intent);
    // Still chargeable and not cancelled: never create a second intent beside it.
    throw unavailable('GATEWAY_UNAVAILABLE', `stripe did not cancel the previous PaymentIntent ${intent.id} (${intent.status})`);
  }

  private async retrieve(id: string): Promise<Stripe.PaymentIntent> {
    try {
      return await this.stripe.paymentIntents.retrieve(id);
    } catch (e) {
      throw this.mapError(e);
    }
  }

  /**
   * What Stripe holds for one attempt: the recorded intent when it is this attempt's, else a
   * search by the metadata every intent carries (payment id + attempt number). A fake without
   * the search API (localstripe) cannot say: the attempt stays open.
   */
  async lookup(req: LookupRequest): Promise<LookupResult> {
    let intent: Stripe.PaymentIntent | null = null;
    if (req.reference?.startsWith('pi_')) {
      const recorded = await this.retrieve(req.reference);
      if (recorded.metadata?.payment_id === req.paymentId && recorded.metadata?.attempt_number === String(req.attemptNumber)) intent = recorded;
    }
    if (!intent) {
      try {
        const found = await this.stripe.paymentIntents.search({
          query: `metadata['payment_id']:'${req.paymentId}' AND metadata['attempt_number']:'${req.attemptNumber}'`,
          limit: 10,
        });
        intent = found.data.find((i) => i.metadata?.payment_id === req.paymentId && i.metadata?.attempt_number === String(req.attemptNumber)) ?? null;
        if (!intent) return { status: 'not_found', raw: { searched: true } };
      } catch (e) {
        if (e instanceof Stripe.errors.StripeError && e.statusCode === 404) return { status: 'processing', raw: { lookup: 'search_unsupported' } };
        throw this.mapError(e);
      }
    }
    const raw = summarizeIntent(intent);
    if (intent.status === 'canceled')
      return { status: 'declined', code: 'payment_intent_canceled', message: 'the PaymentIntent was canceled', reference: intent.id, raw };
    const r = this.fromIntent(intent);
    return r.status === 'pending' ? { status: 'processing', reference: intent.id, raw } : r;
  }

  private fromIntent(intent: Stripe.PaymentIntent): ChargeResult {
    const raw = summarizeIntent(intent);
    switch (intent.status) {
      case 'succeeded': {
        const charge = typeof intent.latest_charge === 'string' ? intent.latest_charge : intent.latest_charge?.id;
        return { status: 'succeeded', transactionId: intent.id, reference: charge ?? intent.id, raw };
      }
      case 'requires_action':
        return { status: 'requires_action', reference: intent.id, raw };
      case 'requires_payment_method': {
        const err = intent.last_payment_error;
        return {
          status: 'declined',
          code: err?.decline_code || err?.code || 'card_declined',
          message: err?.message ?? 'The payment was declined.',
          reference: intent.id,
          raw,
        };
      }
      default:
        // processing, requires_capture, ...: the payment_intent.* webhook settles it.
        return { status: 'processing', reference: intent.id, raw };
    }
  }

  private declineOrThrow(e: unknown): ChargeResult {
    // A 402 is a card failure whatever the error type says (Stripe sends card_error, some
    // fakes invalid_request_error).
    if (e instanceof Stripe.errors.StripeCardError || (e instanceof Stripe.errors.StripeError && e.statusCode === 402)) {
      return {
        status: 'declined',
        code: e.decline_code || e.code || 'card_declined',
        message: e.message,
        reference: e.payment_intent?.id,
        raw: { type: e.type, code: e.code ?? null, decline_code: e.decline_code ?? null, payment_intent: e.payment_intent?.id ?? null },
      };
    }
    throw this.mapError(e);
  }

  private mapError(e: unknown): Error {
    if (e instanceof Stripe.errors.StripeIdempotencyError) {
      return conflict('GATEWAY_IDEMPOTENCY_CONFLICT', 'the gateway saw this attempt with different parameters');
    }
    if (e instanceof Stripe.errors.StripeInvalidRequestError) {
      return invalid('GATEWAY_REJECTED', `stripe rejected the request: ${e.message}`, { stripe_code: e.code ?? null });
    }
    if (e instanceof Stripe.errors.StripeError) {
      return unavailable('GATEWAY_UNAVAILABLE', `stripe is unavailable: ${e.message}`, { stripe_type: e.type });
    }
    return unavailable('GATEWAY_UNAVAILABLE', `stripe is unavailable: ${(e as Error).message}`);
  }

  async refund(req: RefundRequest): Promise<RefundResult> {
    if (!req.transactionId) throw invalid('NOTHING_TO_REFUND', 'the payment has no Stripe PaymentIntent');
    try {
      const refund = await this.stripe.refunds.create(
        {
          payment_intent: req.transactionId,
          amount: toMinorUnits(req.amount),
          metadata: { payment_id: req.paymentId, refund_id: req.refundId, reason: req.reason.slice(0, 500) },
        },
        { idempotencyKey: req.idempotencyKey },
      );
      if (refund.status === 'failed' || refund.status === 'canceled') {
        throw invalid('REFUND_FAILED', `stripe did not refund: ${refund.failure_reason ?? refund.status}`, { stripe_refund_id: refund.id });
      }
      return { gatewayRefundId: refund.id, raw: { id: refund.id, status: refund.status, amount: refund.amount } };
    } catch (e) {
      throw this.refundError(e);
    }
  }

  /** Our refunds of the intent carry `metadata.refund_id` (see refund()); Stripe lists them by intent. */
  async lookupRefund(req: RefundLookupRequest): Promise<RefundLookupResult> {
    if (!req.transactionId) throw invalid('NOTHING_TO_REFUND', 'the payment has no Stripe PaymentIntent');
    try {
      const page = await this.stripe.refunds.list({ payment_intent: req.transactionId, limit: 100 });
      const found = page.data.find((r) => r.metadata?.refund_id === req.refundId);
      if (!found) return { status: 'not_found', raw: { payment_intent: req.transactionId, refunds: page.data.length } };
      const raw = { id: found.id, status: found.status, amount: found.amount };
      // pending: accepted by Stripe, as refund() records it too.
      if (found.status === 'succeeded' || found.status === 'pending') return { status: 'succeeded', gatewayRefundId: found.id, raw };
      if (found.status === 'failed' || found.status === 'canceled') {
        return { status: 'failed', gatewayRefundId: found.id, code: found.failure_reason ?? found.status, raw };
      }
      return { status: 'pending', gatewayRefundId: found.id, raw };
    } catch (e) {
      throw this.refundError(e);
    }
  }

  /**
   * A refund call's error. 409 (the key is in use by a call still running, or Stripe's lock
   * timeout) says nothing about the refund: an unknown outcome, reconciled later, not a refusal.
   */
  private refundError(e: unknown): Error {
    if (e instanceof Stripe.errors.StripeError && (e.statusCode === 409 || e.code === 'idempotency_key_in_use')) {
      return unavailable('GATEWAY_UNAVAILABLE', `stripe is still processing this refund: ${e.message}`);
    }
    return this.mapError(e);
  }

  async void(req: VoidRequest): Promise<void> {
    const intentId = req.reference?.startsWith('pi_') ? req.reference : req.transactionId?.startsWith('pi_') ? req.transactionId : null;
    if (!intentId) return;
    try {
      await this.stripe.paymentIntents.cancel(intentId, {}, { idempotencyKey: `void:${req.paymentId}` });
    } catch (e) {
      // An intent that already succeeded or was canceled cannot be canceled: nothing to release.
      if (e instanceof Stripe.errors.StripeInvalidRequestError) return;
      throw this.mapError(e);
    }
  }
}

function summarizeIntent(intent: Stripe.PaymentIntent): GatewayRaw {
  return {
    id: intent.id,
    status: intent.status,
    amount: intent.amount,
    currency: intent.currency,
    latest_charge: typeof intent.latest_charge === 'string' ? intent.latest_charge : (intent.latest_charge?.id ?? null),
    last_payment_error: intent.last_payment_error
      ? { code: intent.last_payment_error.code ?? null, decline_code: intent.last_payment_error.decline_code ?? null }
      : null,
  };
}
