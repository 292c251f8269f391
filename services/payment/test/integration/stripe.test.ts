// The Stripe adapter (stripe SDK, PaymentIntents) end to end against localstripe, a stateful
// Stripe fake, including the signed webhooks localstripe sends back to the running service.
import type { AddressInfo } from 'node:net';
import { eventually } from '@sudamall/shared/testing';
import { startLocalStripe, type LocalStripe } from '../support/localstripe';
import { admin, buyer, FakeOrders, startHarness, type Harness } from '../support/harness';

const SECRET_KEY = 'sk_test_payment_localstripe';
jest.setTimeout(240_000); // the first run installs localstripe from PyPI

describe('Stripe (PaymentIntents) against localstripe', () => {
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
        STRIPE_AUTOMATIC_PAYMENT_METHODS: 'false', // localstripe rejects the parameter
      },
    });
    // The service listens so localstripe can deliver signed webhooks to it.
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (h.app.server.address() as AddressInfo).port;
    await stripe.api('POST', '/_config/webhooks/payment-service', {
      url: `http://127.0.0.1:${port}/api/v1/payments/webhooks/stripe/`,
      secret: h.config.stripeWebhookSecret,
    });
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
    return { user, order, payment: res.json() };
  }
  const processPayment = (auth: string, paymentId: string, paymentMethodId?: string) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: auth },
      payload: { payment_id: paymentId, ...(paymentMethodId ? { payment_method_id: paymentMethodId } : {}) },
    });
  const intentCreations = (paymentId: string) =>
    stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/payment_intents' && r.body.includes(paymentId));

  it('charges through a PaymentIntent with an idempotency key and order/payment metadata', async () => {
    const { user, order, payment } = await stripePayment('50.00');
    expect(payment).toMatchObject({ gateway_fee: '1.75', total_amount: '51.75' });
    const res = await processPayment(user.auth, payment.payment_id, 'pm_card_visa');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ outcome: 'succeeded', attempt_number: 1, payment: { status: 'completed' } });
    const intentId = res.json().payment.gateway_transaction_id as string;
    expect(intentId).toMatch(/^pi_/);

    const intent = await stripe.api('GET', `/v1/payment_intents/${intentId}`);
    expect(intent).toMatchObject({
      amount: 5175,
      currency: 'usd',
      status: 'succeeded',
      metadata: { payment_id: payment.payment_id, order_id: order.orderId, attempt_number: '1' },
    });
    const sent = intentCreations(payment.payment_id);
    expect(sent).toHaveLength(1);
    expect(sent[0].headers['idempotency-key']).toBe(`payment:${payment.payment_id}:attempt:1`);

    // localstripe then delivers a signed payment_intent.succeeded: verified over the raw body,
    // recorded, and ignored because the payment is already completed.
    await eventually(
      async () => {
        const events = await h.container.prisma.webhookEvent.findMany({ where: { provider: 'stripe', type: 'payment_intent.succeeded' } });
        const mine = events.filter((e) => JSON.stringify(e.payload).includes(payment.payment_id));
        expect(mine.map((e) => e.result)).toEqual(['ignored:status_completed']);
      },
      { timeoutMs: 20000 },
    );
    expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.succeeded', key: order.orderId } })).toBe(1);
  });

  it('a declined card leaves the payment retryable; the retry uses a new attempt and key', async () => {
    const { user, payment } = await stripePayment('20.00');
    const declined = await processPayment(user.auth, payment.payment_id, 'pm_card_chargeCustomerFail');
    expect(declined.statusCode).toBe(200);
    expect(declined.json()).toMatchObject({ outcome: 'failed', retryable: true, payment: { status: 'failed' } });
    expect(declined.json().failure_code).toBe('card_declined');
    const retried = await processPayment(user.auth, payment.payment_id, 'pm_card_visa');
    expect(retried.json()).toMatchObject({ outcome: 'succeeded', attempt_number: 2, payment: { status: 'completed' } });
    expect(intentCreations(payment.payment_id).map((r) => r.headers['idempotency-key'])).toEqual([
      `payment:${payment.payment_id}:attempt:1`,
      `payment:${payment.payment_id}:attempt:2`,
    ]);
  });

  it('ten concurrent process calls create one PaymentIntent', async () => {
    const { user, payment } = await stripePayment('10.00');
    const results = await Promise.all(Array.from({ length: 10 }, () => processPayment(user.auth, payment.payment_id, 'pm_card_visa')));
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 409)).toHaveLength(9);
    expect(intentCreations(payment.payment_id)).toHaveLength(1);
  });

  it('refunds through Stripe with the refund id as idempotency key', async () => {
    const { user, payment } = await stripePayment('30.00');
    const paid = await processPayment(user.auth, payment.payment_id, 'pm_card_visa');
    const intentId = paid.json().payment.gateway_transaction_id as string;
    const a = admin();
    const partial = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/refunds/create/',
      headers: { authorization: a.auth },
      payload: { payment_id: payment.payment_id, amount: '12.50', reason: 'late delivery' },
    });
    expect(partial.statusCode).toBe(201);
    const refund = partial.json().refund;
    expect(refund).toMatchObject({ status: 'completed', amount: '12.50', gateway_refund_id: expect.stringMatching(/^re_/) });
    const sent = stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds' && r.body.includes(intentId));
    expect(sent).toHaveLength(1);
    expect(sent[0].headers['idempotency-key']).toBe(`refund:${refund.refund_id}`);
    const stored = await stripe.api('GET', `/v1/refunds/${refund.gateway_refund_id}`);
    expect(stored).toMatchObject({ amount: 1250, payment_intent: intentId });

    const rest = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/refunds/create/',
      headers: { authorization: a.auth },
      payload: { payment_id: payment.payment_id, reason: 'cancelled' },
    });
    // 30.00 + 1.17 fee = 31.17 charged; the full refund gives back the rest of it.
    expect(rest.json()).toMatchObject({ refund: { amount: '18.67' }, payment: { status: 'refunded', refundable_amount: '0.00' } });
  });

  it('refuses a missing or malformed payment method before charging (400)', async () => {
    const { user, payment } = await stripePayment('5.00');
    const missing = await processPayment(user.auth, payment.payment_id);
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.code).toBe('PAYMENT_METHOD_REQUIRED');
    const bad = await processPayment(user.auth, payment.payment_id, 'tok_visa; DROP');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_PAYMENT_METHOD');
    expect(intentCreations(payment.payment_id)).toHaveLength(0);
  });
});
