// A refund with an unknown outcome is not a failed refund (issue 12, item 3), against
// localstripe: a hop between the service and localstripe loses the answer of a refund Stripe
// made, or is down before the request reaches it. The refund stays pending (202), keeps its
// amount reserved, and the sweep asks Stripe (refunds of the intent, by metadata.refund_id)
// before sending anything, always under the refund's own key. localstripe ignores idempotency
// keys, so a second send would be a second refund there: what this test would catch.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StripeGateway } from '../../src/infra/gateways/stripe-gateway';
import { startLocalStripe, type LocalStripe } from '../support/localstripe';
import { admin, buyer, FakeOrders, startHarness, type Harness } from '../support/harness';
import { createOwnSchema } from '../support/own-schema';

const SECRET_KEY = 'sk_test_payment_refund_reconciliation';
jest.setTimeout(240_000); // the first run installs localstripe from PyPI

type HopMode = 'pass' | 'lose-refund-answer' | 'refunds-down';

/** Forwards to localstripe; for POST /v1/refunds it can lose the answer or refuse to forward. */
async function startHop(upstreamPort: number) {
  const state = { mode: 'pass' as HopMode, refundPosts: [] as Array<{ key: string | undefined; forwarded: boolean }> };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const isRefund = req.method === 'POST' && req.url === '/v1/refunds';
      const key = req.headers['idempotency-key'] as string | undefined;
      if (isRefund && state.mode === 'refunds-down') {
        state.refundPosts.push({ key, forwarded: false });
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { type: 'api_error', message: 'upstream unavailable' } }));
        return;
      }
      if (isRefund) state.refundPosts.push({ key, forwarded: true });
      const lose = isRefund && state.mode === 'lose-refund-answer';
      // The link stays broken after the lost answer: the SDK's own retry (it retries a reset
      // keep-alive socket once even with maxNetworkRetries 0) does not get through either.
      if (lose) state.mode = 'refunds-down';
      const upstream = httpRequest(
        { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${upstreamPort}` } },
        (up) => {
          if (lose) {
            // Stripe acted; the client never hears it (a timeout or reset after the fact).
            up.resume();
            up.on('end', () => req.socket.destroy());
            return;
          }
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    state,
    port: (server.address() as AddressInfo).port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('refund reconciliation against localstripe', () => {
  let stripe: LocalStripe;
  let hop: Awaited<ReturnType<typeof startHop>>;
  let h: Harness;
  let schema: Awaited<ReturnType<typeof createOwnSchema>>;
  const orders = new FakeOrders();

  beforeAll(async () => {
    stripe = await startLocalStripe(SECRET_KEY);
    hop = await startHop(stripe.directPort);
    // Its own schema: the sweep acts on every pending refund it sees.
    schema = await createOwnSchema('refund-reconcile');
    const gateway = new StripeGateway({
      secretKey: SECRET_KEY,
      host: '127.0.0.1',
      port: hop.port,
      protocol: 'http',
      automaticPaymentMethods: false,
      timeoutMs: 2_000,
      // The service's retry is under test here, not the SDK's (localstripe would not dedupe those).
      maxNetworkRetries: 0,
    });
    h = await startHarness({
      orders,
      gateways: [gateway],
      env: {
        DATABASE_URL: schema.databaseUrl,
        STRIPE_SECRET_KEY: SECRET_KEY,
        STRIPE_TIMEOUT_MS: '2000',
        STRIPE_MAX_NETWORK_RETRIES: '0',
        PAYPAL_TIMEOUT_MS: '1000',
        PAYMENT_STALE_PROCESSING_SECONDS: '3',
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await hop?.stop();
    await stripe?.stop();
    await schema?.drop();
  });

  async function paidStripePayment(total: string) {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: total });
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: 'stripe' },
    });
    const paymentId = created.json().payment_id as string;
    const paid = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: user.auth },
      payload: { payment_id: paymentId, payment_method_id: 'pm_card_visa' },
    });
    expect(paid.json().payment.status).toBe('completed');
    return { order, paymentId, intentId: paid.json().payment.gateway_transaction_id as string };
  }
  const adminRefund = (paymentId: string, body: Record<string, unknown> = {}) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/refunds/create/',
      headers: { authorization: admin().auth },
      payload: { payment_id: paymentId, reason: 'damaged', ...body },
    });
  const stripeRefunds = async (intentId: string) =>
    (await stripe.api('GET', `/v1/refunds?payment_intent=${intentId}`)).data as Array<{ id: string; amount: number; metadata: Record<string, string> }>;
  const sweepAfterLease = async () => {
    await new Promise((r) => setTimeout(r, 3_100)); // the attempt's lease is the stale window (3 s here)
    return h.container.useCases.resumePendingRefunds.execute(0);
  };

  it('Stripe refunded but the answer was lost: 202 pending, then found by its refund id and completed, refunded once', async () => {
    const { order, paymentId, intentId } = await paidStripePayment('40.00'); // 40.00 + 1.46 fee
    hop.state.mode = 'lose-refund-answer';
    const res = await adminRefund(paymentId);
    hop.state.mode = 'pass';
    expect(res.statusCode).toBe(202);
    const pending = res.json().refund;
    expect(pending).toMatchObject({ status: 'pending', amount: '41.46', gateway_refund_id: null });
    expect(res.json().payment).toMatchObject({ refunded_amount: '41.46', refundable_amount: '0.00' });
    const atStripe = await stripeRefunds(intentId);
    expect(atStripe.map((r) => [r.amount, r.metadata.refund_id])).toEqual([[4146, pending.refund_id]]);

    expect(await sweepAfterLease()).toBeGreaterThanOrEqual(1);
    const refund = await h.container.prisma.refund.findUniqueOrThrow({ where: { refundId: pending.refund_id } });
    expect([refund.status, refund.gatewayRefundId]).toEqual(['completed', atStripe[0].id]);
    expect(await stripeRefunds(intentId)).toHaveLength(1);
    // Forwarded once (the SDK's immediate retry met the broken link), never sent again after.
    expect(hop.state.refundPosts.filter((p) => p.key === `refund:${pending.refund_id}` && p.forwarded)).toHaveLength(1);
    const row = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
    expect([row.status, row.refundedAmount.toFixed(2)]).toEqual(['refunded', '41.46']);
    expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.refunded', key: order.orderId } })).toBe(1);
  });

  it('Stripe never saw it (503 before it): pending, then sent by the sweep under the same key, refunded once', async () => {
    const { paymentId, intentId } = await paidStripePayment('25.00'); // 25.00 + 1.03 fee
    hop.state.mode = 'refunds-down';
    const res = await adminRefund(paymentId, { amount: '10.00' });
    hop.state.mode = 'pass';
    expect(res.statusCode).toBe(202);
    const refundId = res.json().refund.refund_id as string;
    expect(await stripeRefunds(intentId)).toHaveLength(0);

    await sweepAfterLease();
    const refund = await h.container.prisma.refund.findUniqueOrThrow({ where: { refundId } });
    expect(refund.status).toBe('completed');
    expect((await stripeRefunds(intentId)).map((r) => [r.id, r.amount])).toEqual([[refund.gatewayRefundId, 1000]]);
    expect(hop.state.refundPosts.filter((p) => p.key?.includes(refundId)).map((p) => [p.key, p.forwarded])).toEqual([
      [`refund:${refundId}`, false],
      [`refund:${refundId}`, true],
    ]);
    const row = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
    expect([row.status, row.refundedAmount.toFixed(2)]).toEqual(['partially_refunded', '10.00']);
  });
});
