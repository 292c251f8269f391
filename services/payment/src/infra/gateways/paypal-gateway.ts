import { invalid, isDomainError, unavailable } from '@sudamall/shared';
import { money } from '@sudamall/shared';
import type {
  ChargeRequest,
  ChargeResult,
  LookupRequest,
  LookupResult,
  PaymentGateway,
  PaymentInput,
  RefundLookupRequest,
  RefundLookupResult,
  RefundRequest,
  RefundResult,
} from '../../app/ports';

export interface PaypalGatewayOptions {
  /** https://api-m.sandbox.paypal.com, https://api-m.paypal.com, or a local fake. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  timeoutMs?: number;
}

interface PaypalLink {
  href: string;
  rel: string;
}
interface PaypalOrder {
  id: string;
  status: string;
  links?: PaypalLink[];
  purchase_units?: Array<{
    payments?: { captures?: Array<{ id: string; status: string; amount?: { value: string; currency_code: string } }> };
  }>;
}
interface PaypalError {
  name?: string;
  details?: Array<{ issue?: string; description?: string }>;
  message?: string;
}

class PaypalHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: PaypalError,
  ) {
    super(`paypal answered ${status}: ${body.name ?? ''} ${body.details?.[0]?.issue ?? body.message ?? ''}`.trim());
  }
  get issue(): string | undefined {
    return this.body.details?.[0]?.issue;
  }
}

/**
 * PayPal Orders v2 over plain HTTP. The payer approves at PayPal between our two calls:
 * the first `process` creates the PayPal order and answers `requires_action` with the approve
 * link; the next `process` captures the order we created (never an id sent by the client, so a
 * payer cannot substitute a cheaper order). Every write carries `PayPal-Request-Id`, PayPal's
 * idempotency key.
 */
export class PaypalGateway implements PaymentGateway {
  readonly name = 'paypal';
  private token: { value: string; expiresAt: number } | null = null;

  constructor(private readonly opts: PaypalGatewayOptions) {}

  validateInput(_input: PaymentInput): void {
    // The payer signs in at PayPal: nothing to check here.
  }

  async charge(req: ChargeRequest): Promise<ChargeResult> {
    if (!req.previousReference) return this.createOrder(req);
    try {
      const order = await this.call<PaypalOrder>('POST', `/v2/checkout/orders/${encodeURIComponent(req.previousReference)}/capture`, {}, req.idempotencyKey);
      const capture = order.purchase_units?.[0]?.payments?.captures?.[0];
      const raw = { order_id: order.id, status: order.status, capture_id: capture?.id ?? null, capture_status: capture?.status ?? null };
      if (order.status === 'COMPLETED' && capture && capture.status === 'COMPLETED') {
        if (capture.amount && !money(capture.amount.value).eq(money(req.amount))) {
          return { status: 'declined', code: 'amount_mismatch', message: 'captured amount differs from the payment', reference: order.id, raw };
        }
        return { status: 'succeeded', transactionId: capture.id, reference: order.id, raw };
      }
      if (capture && capture.status === 'PENDING') return { status: 'processing', reference: order.id, raw };
      return {
        status: 'declined',
        code: (capture?.status ?? order.status).toLowerCase(),
        message: 'PayPal did not complete the capture',
        reference: order.id,
        raw,
      };
    } catch (e) {
      if (e instanceof PaypalHttpError && e.status === 422) {
        if (e.issue === 'ORDER_NOT_APPROVED' || e.issue === 'PAYER_ACTION_REQUIRED') {
          return { status: 'requires_action', reference: req.previousReference, raw: { issue: e.issue } };
        }
        if (e.issue === 'ORDER_ALREADY_CAPTURED') {
          // Captured by an earlier attempt whose answer was lost: ask PayPal what it holds.
          return this.settledOrder(req.previousReference, req.amount);
        }
        return {
          status: 'declined',
          code: (e.issue ?? 'declined').toLowerCase(),
          message: e.message,
          reference: req.previousReference,
          raw: { issue: e.issue ?? null },
        };
      }
      throw this.mapError(e);
    }
  }

  private async createOrder(req: ChargeRequest): Promise<ChargeResult> {
    try {
      const order = await this.call<PaypalOrder>(
        'POST',
        '/v2/checkout/orders',
        {
          intent: 'CAPTURE',
          purchase_units: [
            {
              reference_id: req.paymentId,
              custom_id: req.orderId,
              amount: { currency_code: req.currency.toUpperCase(), value: req.amount },
            },
          ],
        },
        req.idempotencyKey,
      );
      const approve = order.links?.find((l) => l.rel === 'approve' || l.rel === 'payer-action');
      return { status: 'requires_action', reference: order.id, actionUrl: approve?.href, raw: { order_id: order.id, status: order.status } };
    } catch (e) {
      throw this.mapError(e);
    }
  }

  private async settledOrder(orderId: string, amount: string): Promise<ChargeResult> {
    const order = await this.call<PaypalOrder>('GET', `/v2/checkout/orders/${encodeURIComponent(orderId)}`);
    const capture = order.purchase_units?.[0]?.payments?.captures?.[0];
    const raw = { order_id: order.id, status: order.status, capture_id: capture?.id ?? null };
    if (capture?.status === 'COMPLETED' && (!capture.amount || money(capture.amount.value).eq(money(amount)))) {
      return { status: 'succeeded', transactionId: capture.id, reference: order.id, raw };
    }
    return { status: 'processing', reference: order.id, raw };
  }

  /**
   * PayPal's own state of the order the payment recorded: captured, awaiting the payer, or
   * voided. Without a recorded order the attempt created nothing PayPal could capture (an order
   * is only captured by a later `process` naming it), so replaying it is safe.
   */
  async lookup(req: LookupRequest): Promise<LookupResult> {
    if (!req.reference) return { status: 'not_found', raw: {} };
    let order: PaypalOrder;
    try {
      order = await this.call<PaypalOrder>('GET', `/v2/checkout/orders/${encodeURIComponent(req.reference)}`);
    } catch (e) {
      if (e instanceof PaypalHttpError && e.status === 404) return { status: 'not_found', raw: { order_id: req.reference } };
      throw this.mapError(e);
    }
    const capture = order.purchase_units?.[0]?.payments?.captures?.[0];
    const raw = { order_id: order.id, status: order.status, capture_id: capture?.id ?? null, capture_status: capture?.status ?? null };
    if (capture?.status === 'COMPLETED') {
      if (capture.amount && !money(capture.amount.value).eq(money(req.amount))) {
        return { status: 'declined', code: 'amount_mismatch', message: 'captured amount differs from the payment', reference: order.id, raw };
      }
      return { status: 'succeeded', transactionId: capture.id, reference: order.id, raw };
    }
    if (capture?.status === 'DECLINED' || capture?.status === 'FAILED' || order.status === 'VOIDED') {
      return {
        status: 'declined',
        code: (capture?.status ?? order.status).toLowerCase(),
        message: 'PayPal did not complete the capture',
        reference: order.id,
        raw,
      };
    }
    if (order.status === 'CREATED' || order.status === 'PAYER_ACTION_REQUIRED' || order.status === 'APPROVED') {
      const approve = order.links?.find((l) => l.rel === 'approve' || l.rel === 'payer-action');
      return { status: 'requires_action', reference: order.id, actionUrl: approve?.href, raw };
    }
    return { status: 'processing', reference: order.id, raw };
  }

  async refund(req: RefundRequest): Promise<RefundResult> {
    if (!req.transactionId) throw invalid('NOTHING_TO_REFUND', 'the payment has no PayPal capture');
    try {
      const refund = await this.call<{ id: string; status: string }>(
        'POST',
        `/v2/payments/captures/${encodeURIComponent(req.transactionId)}/refund`,
        // custom_id: how lookupRefund finds this refund on the order if the answer is lost.
        { amount: { value: req.amount, currency_code: req.currency.toUpperCase() }, note_to_payer: req.reason.slice(0, 255), custom_id: req.refundId },
        req.idempotencyKey,
      );
      return { gatewayRefundId: refund.id, raw: { id: refund.id, status: refund.status } };
    } catch (e) {
      throw this.mapError(e);
    }
  }

  /** PayPal lists an order's refunds on the order (purchase_units[].payments.refunds), ours by custom_id. */
  async lookupRefund(req: RefundLookupRequest): Promise<RefundLookupResult> {
    if (!req.reference) throw invalid('NOTHING_TO_REFUND', 'the payment has no PayPal order');
    try {
      const order = await this.call<PaypalOrderRefunds>('GET', `/v2/checkout/orders/${encodeURIComponent(req.reference)}`);
      const found = (order.purchase_units ?? []).flatMap((u) => u.payments?.refunds ?? []).find((r) => r.custom_id === req.refundId);
      if (!found) return { status: 'not_found', raw: { order_id: req.reference } };
      const raw = { id: found.id, status: found.status };
      if (found.status === 'COMPLETED' || found.status === 'PENDING') return { status: 'succeeded', gatewayRefundId: found.id, raw };
      if (found.status === 'CANCELLED' || found.status === 'FAILED')
        return { status: 'failed', gatewayRefundId: found.id, code: found.status.toLowerCase(), raw };
      return { status: 'pending', gatewayRefundId: found.id, raw };
    } catch (e) {
      throw this.mapError(e);
    }
  }

  async void(): Promise<void> {
    // Orders with intent CAPTURE hold no funds before capture: an unapproved or uncaptured
    // order simply expires at PayPal.
  }

  private mapError(e: unknown): Error {
    if (e instanceof PaypalHttpError && e.status >= 400 && e.status < 500 && e.status !== 429 && e.status !== 401) {
      return invalid('GATEWAY_REJECTED', e.message, { paypal_issue: e.issue ?? null });
    }
    if (isDomainError(e)) return e;
    return unavailable('GATEWAY_UNAVAILABLE', `paypal is unavailable: ${(e as Error).message}`);
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt > Date.now() + 30_000) return this.token.value;
    const basic = Buffer.from(`${this.opts.clientId}:${this.opts.clientSecret}`).toString('base64');
    const res = await fetch(new URL('/v1/oauth2/token', this.opts.baseUrl), {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 20_000),
    });
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number } & PaypalError;
    if (!res.ok || !body.access_token) throw new PaypalHttpError(res.status, body);
    this.token = { value: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 300) * 1000 };
    return body.access_token;
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, requestId?: string): Promise<T> {
    const token = await this.accessToken();
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json', prefer: 'return=representation' };
    if (requestId) headers['paypal-request-id'] = requestId;
    const res = await fetch(new URL(path, this.opts.baseUrl), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 20_000),
    });
    const json = (await res.json().catch(() => ({}))) as T & PaypalError;
    if (res.status === 401) this.token = null;
    if (!res.ok) throw new PaypalHttpError(res.status, json);
    return json;
  }
}
interface PaypalOrderRefunds {
  purchase_units?: Array<{ payments?: { refunds?: Array<{ id: string; status: string; custom_id?: string }> } }>;
}
