// Issue 12, item 1: one PaymentIntent per payment, and a second capture is never kept. Against
// localstripe (a stateful Stripe fake), with the signed webhooks it sends back to the service.
import type { AddressInfo } from 'node:net';
import { metricsRegistry } from '@sudamall/shared';
import { eventually } from '@sudamall/shared/testing';
import { randomUUID } from 'node:crypto';
import { toMinorUnits } from '../../src/domain/fees';
import { registerDuplicateCaptureMetrics } from '../../src/infra/service-metrics';
import { startLocalStripe, type LocalStripe } from '../support/localstripe';
import { admin, buyer, FakeOrders, startHarness, type Harness } from '../support/harness';

const SECRET_KEY = 'sk_test_payment_duplicate_captures';
jest.setTimeout(240_000); // the first run installs localstripe from PyPI

/** localstripe's 3-D Secure test card: confirming an intent with it answers requires_action. */
const THREE_D_SECURE_CARD = '4000002500003155';

describe('duplicate captures (Stripe through localstripe)', () => {
  let stripe: LocalStripe;
  let h: Harness;
  const orders = new FakeOrders();

  beforeAll(async () => {
    stripe = await startLocalStripe(SECRET_KEY);
    h = await startHarness({
      orders,
      env: {
        STRIPE_SECRET_KEY: SECRET_KEY,
        STRIPE_API_HOST: '127.0.0.1',
        STRIPE_API_PORT: String(stripe.port),
        STRIPE_API_PROTOCOL: 'http',
        STRIPE_AUTOMATIC_PAYMENT_METHODS: 'false',
      },
    });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (h.app.server.address() as AddressInfo).port;
    await stripe.api('POST', '/_config/webhooks/payment-service', {
      url: `http://127.0.0.1:${port}/api/v1/payments/webhooks/stripe/`,
      secret: h.config.stripeWebhookSecret,
    });
    registerDuplicateCaptureMetrics((sql) => h.container.prisma.$queryRawUnsafe(sql));
  });
  afterAll(async () => {
    await h?.close();
    await stripe?.stop();
  });

  async function stripePayment(total: string) {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: total });
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: 'stripe' },
    });
    expect(res.statusCode).toBe(201);
    return { user, order, paymentId: res.json().payment_id as string, total: res.json().total_amount as string };
  }
  const processPayment = (auth: string, paymentId: string, paymentMethodId: string) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: auth },
      payload: { payment_id: paymentId, payment_method_id: paymentMethodId },
    });
  const cardMethod = async (number: string) =>
    (
      await stripe.api('POST', '/v1/payment_methods', {
        type: 'card',
        'card[number]': number,
        'card[exp_month]': '12',
        'card[exp_year]': '2030',
        'card[cvc]': '123',
      })
    ).id as string;
  const intent = (id: string) => stripe.api('GET', `/v1/payment_intents/${id}`);
  const duplicatesTotal = async () => {
    const metric = (await metricsRegistry.getMetricsAsJSON()).find((m) => m.name === 'payment_duplicate_captures_total');
    return (metric?.values ?? []).filter((v) => v.labels.gateway === 'stripe').reduce((n, v) => n + v.value, 0);
  };

  it('3-D Secure on attempt 1, another card on attempt 2: attempt 1 can no longer capture', async () => {
    const { user, order, paymentId } = await stripePayment('40.00');
    const first = await processPayment(user.auth, paymentId, await cardMethod(THREE_D_SECURE_CARD));
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ outcome: 'requires_action', attempt_number: 1, payment: { status: 'pending' } });
    const firstIntentId = (await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } })).gatewayReference as string;
    expect(firstIntentId).toMatch(/^pi_/);
    const firstIntent = await intent(firstIntentId);
    expect(firstIntent).toMatchObject({ status: 'requires_action', metadata: { payment_id: paymentId, attempt_number: '1' } });

    const second = await processPayment(user.auth, paymentId, 'pm_card_visa');
    expect(second.json()).toMatchObject({ outcome: 'succeeded', attempt_number: 2, payment: { status: 'completed' } });
    const keptIntentId = second.json().payment.gateway_transaction_id as string;
    expect(keptIntentId).not.toBe(firstIntentId);
    // The attempt-1 intent was cancelled before the attempt-2 intent was created.
    expect(await intent(firstIntentId)).toMatchObject({ status: 'canceled' });
    const cancelAt = stripe.requests.findIndex((r) => r.method === 'POST' && r.path === `/v1/payment_intents/${firstIntentId}/cancel`);
    const createAt = stripe.requests.findIndex(
      (r) => r.method === 'POST' && r.path === '/v1/payment_intents' && decodeURIComponent(r.body).includes('[attempt_number]=2') && r.body.includes(paymentId),
    );
    expect(cancelAt).toBeGreaterThanOrEqual(0);
    expect(cancelAt).toBeLessThan(createAt);

    // The buyer now finishes attempt 1's 3-D Secure: Stripe refuses to capture a cancelled intent.
    const late = await stripe.api('POST', `/v1/payment_intents/${firstIntentId}/_authenticate`, {
      client_secret: firstIntent.client_secret as string,
      success: 'true',
    });
    expect(late.error).toBeDefined();
    expect(await intent(firstIntentId)).toMatchObject({ status: 'canceled' });
    expect(await intent(keptIntentId)).toMatchObject({ status: 'succeeded', amount: 4146 });
    expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.succeeded', key: order.orderId } })).toBe(1);
    expect(await h.container.useCases.listDuplicateCaptures.execute({ orderId: order.orderId })).toEqual([]);
  });

  it('3-D Secure finished just before the retry: the retry answers with that capture and creates no second intent', async () => {
    const { user, order, paymentId } = await stripePayment('18.00');
    const first = await processPayment(user.auth, paymentId, await cardMethod(THREE_D_SECURE_CARD));
    expect(first.json()).toMatchObject({ outcome: 'requires_action' });
    const firstIntentId = (await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } })).gatewayReference as string;
    const firstIntent = await intent(firstIntentId);
    const done = await stripe.api('POST', `/v1/payment_intents/${firstIntentId}/_authenticate`, {
      client_secret: firstIntent.client_secret as string,
      success: 'true',
    });
    expect(done).toMatchObject({ status: 'succeeded' });

    // Whichever comes first, Stripe's webhook or the retry, the retry charges nothing new.
    const retry = await processPayment(user.auth, paymentId, 'pm_card_visa');
    if (retry.statusCode === 200)
      expect(retry.json()).toMatchObject({ outcome: 'succeeded', attempt_number: 2, payment: { status: 'completed', gateway_transaction_id: firstIntentId } });
    else expect([retry.statusCode, retry.json().error.code]).toEqual([409, 'PAYMENT_ALREADY_COMPLETED']);
    const row = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
    expect([row.status, row.gatewayTransactionId]).toEqual(['completed', firstIntentId]);
    const creations = stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/payment_intents' && r.body.includes(paymentId));
    expect(creations).toHaveLength(1);
    await eventually(
      async () => {
        const events = await h.container.prisma.webhookEvent.findMany({ where: { provider: 'stripe', type: 'payment_intent.succeeded' } });
        expect(events.filter((e) => JSON.stringify(e.payload).includes(paymentId))).toHaveLength(1);
      },
      { timeoutMs: 20_000 },
    );
    expect(await h.container.useCases.listDuplicateCaptures.execute({ orderId: order.orderId })).toEqual([]);
    expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.succeeded', key: order.orderId } })).toBe(1);
  });

  it('a second capture seen anyway (webhook of another intent of the payment) is recorded, refunded once, counted and listed', async () => {
    const { user, order, paymentId, total } = await stripePayment('25.00');
    const paid = await processPayment(user.auth, paymentId, 'pm_card_visa');
    expect(paid.json()).toMatchObject({ outcome: 'succeeded', payment: { status: 'completed' } });
    const keptIntentId = paid.json().payment.gateway_transaction_id as string;
    const before = await duplicatesTotal();

    // An intent for the same payment that this code path did not make (a replica still on the old
    // code during a rollout, a create whose answer was lost): it captures, and Stripe says so.
    const stray = await stripe.api('POST', '/v1/payment_intents', {
      amount: String(toMinorUnits(total)),
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: 'true',
      'metadata[payment_id]': paymentId,
      'metadata[order_id]': order.orderId,
      'metadata[attempt_number]': '1',
    });
    expect(stray).toMatchObject({ status: 'succeeded' });
    const strayId = stray.id as string;

    const [dup] = await eventually(
      async () => {
        const found = await h.container.useCases.listDuplicateCaptures.execute({ orderId: order.orderId });
        expect(found).toHaveLength(1);
        expect([found[0].status, found[0].lastError]).toEqual(['refunded', null]);
        return found;
      },
      { timeoutMs: 30_000 },
    );
    expect(dup).toMatchObject({ paymentId, gateway: 'stripe', transactionId: strayId, amount: total, livePaymentId: null, refundAttempts: 1 });
    expect(dup.source).toMatch(/^webhook:stripe:evt_/);
    expect(dup.gatewayRefundId).toMatch(/^re_/);

    // Refunded at Stripe once, with the duplicate's own key, for the stray intent (never the kept one).
    const refunds = stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds' && r.body.includes(strayId));
    expect(refunds).toHaveLength(1);
    expect(refunds[0].headers['idempotency-key']).toBe(`duplicate-capture-refund:${dup.id}`);
    expect(await stripe.api('GET', `/v1/refunds/${dup.gatewayRefundId}`)).toMatchObject({ amount: toMinorUnits(total), payment_intent: strayId });
    expect(stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds' && r.body.includes(keptIntentId))).toHaveLength(0);

    // The payment keeps its first capture; nothing is announced twice.
    const row = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
    expect([row.status, row.gatewayTransactionId, row.refundedAmount.toFixed(2)]).toEqual(['completed', keptIntentId, '0.00']);
    expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.succeeded', key: order.orderId } })).toBe(1);
    expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.refunded', key: order.orderId } })).toBe(0);

    await eventually(async () => expect(await duplicatesTotal()).toBe(before + 1), { timeoutMs: 5_000 });

    // Listed for the saga dashboard (admins only).
    const url = `/api/v1/payments/admin/duplicate-captures/?order_id=${order.orderId}`;
    const listed = await h.app.inject({ method: 'GET', url, headers: { authorization: admin().auth } });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items).toEqual([
      expect.objectContaining({
        id: dup.id,
        payment_id: paymentId,
        order_id: order.orderId,
        transaction_id: strayId,
        amount: total,
        status: 'refunded',
        gateway_refund_id: dup.gatewayRefundId,
      }),
    ]);
    expect((await h.app.inject({ method: 'GET', url, headers: { authorization: user.auth } })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url })).statusCode).toBe(401);
    const bad = await h.app.inject({ method: 'GET', url: '/api/v1/payments/admin/duplicate-captures/?status=lost', headers: { authorization: admin().auth } });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);

    // The same capture reported again (a charge answer replayed, webhook redelivered) is not a new duplicate.
    await h.container.useCaseDeps.charges.recordChargeOutcome(paymentId, 1, { status: 'succeeded', transactionId: strayId, raw: {} });
    expect(await h.container.useCases.listDuplicateCaptures.execute({ orderId: order.orderId })).toHaveLength(1);
    expect(stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds' && r.body.includes(strayId))).toHaveLength(1);
  });

  it('two workers refunding the same duplicate at once send one refund (the lease)', async () => {
    const { user, order, paymentId, total } = await stripePayment('12.00');
    await processPayment(user.auth, paymentId, 'pm_card_visa');
    // A second capture whose webhook names no payment of ours, reported by a charge answer.
    const stray = await stripe.api('POST', '/v1/payment_intents', {
      amount: String(toMinorUnits(total)),
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: 'true',
      'metadata[payment_id]': randomUUID(),
    });
    await h.container.useCaseDeps.charges.recordChargeOutcome(paymentId, 1, { status: 'succeeded', transactionId: stray.id as string, raw: {} });
    // Both workers read it waiting (the webhook that found it, the sweep), then both go for it.
    const [waiting] = await h.container.useCaseDeps.duplicateCaptures.findDuplicateCapturesToRefund(paymentId, 10);
    expect(waiting.status).toBe('refund_pending');
    const results = await Promise.all([
      h.container.useCases.refundDuplicateCaptures.refundOne(waiting),
      h.container.useCases.refundDuplicateCaptures.refundOne(waiting),
    ]);
    expect(results.some((d) => d.status === 'refunded')).toBe(true);
    expect(stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds' && r.body.includes(stray.id as string))).toHaveLength(1);
    const [dup] = await h.container.useCases.listDuplicateCaptures.execute({ orderId: order.orderId });
    expect([dup.status, dup.refundAttempts]).toEqual(['refunded', 1]);
    // Settled: a later sweep sends nothing more.
    await h.container.useCases.refundDuplicateCaptures.execute(paymentId);
    expect(stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds' && r.body.includes(stray.id as string))).toHaveLength(1);
  });
});
