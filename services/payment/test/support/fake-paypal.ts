// A small stand-in for PayPal's REST API (OAuth2 client credentials, Orders v2 create /
// capture / get, Payments v2 capture refund), enough to drive the adapter over real HTTP.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface FakeOrder {
  id: string;
  status: 'CREATED' | 'APPROVED' | 'COMPLETED';
  amount: { currency_code: string; value: string };
  reference_id: string;
  custom_id: string;
  capture?: { id: string; status: 'COMPLETED'; amount: { currency_code: string; value: string }; refunded: number };
}

const id = (prefix: string) => `${prefix}${randomBytes(6).toString('hex').toUpperCase()}`;

export class FakePaypal {
  readonly clientId = 'fake-client';
  readonly clientSecret = 'fake-secret';
  readonly orders = new Map<string, FakeOrder>();
  readonly refunds: Array<{ id: string; captureId: string; value: string; customId?: string }> = [];
  /** PayPal-Request-Id of every write, in order. */
  readonly requestIds: string[] = [];
  captures = 0;
  /** The next capture is declined with this issue (e.g. INSTRUMENT_DECLINED). */
  declineNextCapture: string | null = null;
  private readonly token = `A21AA${randomBytes(8).toString('hex')}`;
  private readonly replies = new Map<string, { status: number; body: unknown }>();
  private server: Server | null = null;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** What the payer does at PayPal after following the approve link. */
  approve(orderId: string): void {
    const order = this.orders.get(orderId);
    if (!order) throw new Error(`no PayPal order ${orderId}`);
    if (order.status === 'CREATED') order.status = 'APPROVED';
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', this.url);
    const path = url.pathname;

    if (req.method === 'POST' && path === '/v1/oauth2/token') {
      const expected = `Basic ${Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64')}`;
      if (req.headers.authorization !== expected || raw !== 'grant_type=client_credentials') return send(401, { error: 'invalid_client' });
      return send(200, { access_token: this.token, token_type: 'Bearer', expires_in: 32400 });
    }
    if (req.headers.authorization !== `Bearer ${this.token}`) return send(401, { name: 'AUTHENTICATION_FAILURE' });

    const requestId = req.headers['paypal-request-id'];
    if (req.method === 'POST') {
      if (typeof requestId !== 'string') return send(400, { name: 'INVALID_REQUEST', details: [{ issue: 'MISSING_REQUEST_ID' }] });
      this.requestIds.push(requestId);
      const earlier = this.replies.get(`${path}:${requestId}`);
      if (earlier) return send(earlier.status, earlier.body);
    }
    const reply = (status: number, body: unknown) => {
      if (req.method === 'POST' && typeof requestId === 'string' && status < 500) this.replies.set(`${path}:${requestId}`, { status, body });
      send(status, body);
    };
    const unprocessable = (issue: string) => reply(422, { name: 'UNPROCESSABLE_ENTITY', details: [{ issue, description: issue }] });
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};

    let m: RegExpMatchArray | null;
    if (req.method === 'POST' && path === '/v2/checkout/orders') {
      const unit = (body.purchase_units as Array<{ amount: FakeOrder['amount']; reference_id: string; custom_id: string }>)?.[0];
      if (body.intent !== 'CAPTURE' || !unit?.amount?.value) return reply(400, { name: 'INVALID_REQUEST' });
      const order: FakeOrder = { id: id('5O'), status: 'CREATED', amount: unit.amount, reference_id: unit.reference_id, custom_id: unit.custom_id };
      this.orders.set(order.id, order);
      return reply(201, { id: order.id, status: order.status, links: [{ rel: 'approve', href: `${this.url}/checkoutnow?token=${order.id}`, method: 'GET' }] });
    }
    if ((m = path.match(/^\/v2\/checkout\/orders\/([^/]+)\/capture$/)) && req.method === 'POST') {
      const order = this.orders.get(m[1]);
      if (!order) return reply(404, { name: 'RESOURCE_NOT_FOUND' });
      if (order.status === 'COMPLETED') return unprocessable('ORDER_ALREADY_CAPTURED');
      if (order.status !== 'APPROVED') return unprocessable('ORDER_NOT_APPROVED');
      if (this.declineNextCapture) {
        const issue = this.declineNextCapture;
        this.declineNextCapture = null;
        return unprocessable(issue);
      }
      this.captures += 1;
      order.status = 'COMPLETED';
      order.capture = { id: id('CAP'), status: 'COMPLETED', amount: order.amount, refunded: 0 };
      return reply(201, this.orderView(order));
    }
    if ((m = path.match(/^\/v2\/checkout\/orders\/([^/]+)$/)) && req.method === 'GET') {
      const order = this.orders.get(m[1]);
      return order ? send(200, this.orderView(order)) : send(404, { name: 'RESOURCE_NOT_FOUND' });
    }
    if ((m = path.match(/^\/v2\/payments\/captures\/([^/]+)\/refund$/)) && req.method === 'POST') {
      const order = [...this.orders.values()].find((o) => o.capture?.id === m![1]);
      if (!order?.capture) return reply(404, { name: 'RESOURCE_NOT_FOUND' });
      const value = (body.amount as { value: string } | undefined)?.value ?? order.capture.amount.value;
      const cents = Math.round(Number(value) * 100);
      if (order.capture.refunded + cents > Math.round(Number(order.capture.amount.value) * 100)) return unprocessable('REFUND_AMOUNT_EXCEEDED');
      order.capture.refunded += cents;
      const refund = { id: id('REF'), captureId: order.capture.id, value, customId: typeof body.custom_id === 'string' ? body.custom_id : undefined };
      this.refunds.push(refund);
      return reply(201, { id: refund.id, status: 'COMPLETED', amount: { value, currency_code: order.amount.currency_code } });
    }
    return send(404, { name: 'RESOURCE_NOT_FOUND' });
  }

  private orderView(order: FakeOrder) {
    return {
      id: order.id,
      status: order.status,
      purchase_units: [
        {
          reference_id: order.reference_id,
          custom_id: order.custom_id,
          amount: order.amount,
          payments: order.capture
            ? {
                captures: [{ id: order.capture.id, status: order.capture.status, amount: order.capture.amount }],
                refunds: this.refunds
                  .filter((r) => r.captureId === order.capture?.id)
                  .map((r) => ({
                    id: r.id,
                    status: 'COMPLETED',
                    custom_id: r.customId,
                    amount: { value: r.value, currency_code: order.amount.currency_code },
                  })),
              }
            : undefined,
        },
      ],
    };
  }
}
