// Issue 12, item 2 against localstripe: a PaymentIntent created at Stripe whose answer never came
// back (the network held it past the client's timeout). The recovery sweep and the buyer's retry
// ask Stripe first and create no second intent; Stripe's own word (its webhook) settles it.
// localstripe keeps no idempotency keys, so any replay of the create would charge twice here.
// In a schema of its own (the sweep acts on every stale row); webhooks are sent by the test.
import { randomUUID } from 'node:crypto';
import { signStripePayload } from '../../src/domain/stripe-signature';
import { startLocalStripe, type LocalStripe } from '../support/localstripe';
import { buyer, FakeOrders, startHarness, type Harness } from '../support/harness';
import { createOwnSchema } from '../support/own-schema';

const SECRET_KEY = 'sk_test_payment_stripe_recovery';
jest.setTimeout(240_000); // the first run installs localstripe from PyPI

describe('stale Stripe attempts: Stripe is asked, never guessed', () => {
  let schema: Awaited<ReturnType<typeof createOwnSchema>>;
  let stripe: LocalStripe;
  let h: Harness;
  const orders = new FakeOrders();
  /** Payments whose PaymentIntent creation answer the network holds past the client's timeout. */
  const slow = new Set<string>();

  beforeAll(async () => {
    schema = await createOwnSchema('stripe_recovery');
    stripe = await startLocalStripe(SECRET_KEY, {
      holdResponse: async (r) => {
        if (r.method === 'POST' && r.path === '/v1/payment_intents' && [...slow].some((id) => r.body.includes(id))) {
          await new Promise((resolve) => setTimeout(resolve, 2500));
        }
      },
    });
    h = await startHarness({
      orders,
      env: {
        DATABASE_URL: schema.databaseUrl,
        STRIPE_SECRET_KEY: SECRET_KEY,
        STRIPE_API_HOST: '127.0.0.1',
        STRIPE_API_PORT: String(stripe.port),
        STRIPE_API_PROTOCOL: 'http',
        STRIPE_AUTOMATIC_PAYMENT_METHODS: 'false',
        // The client gives up after 1 s (no retry); the stale window (2 s) outlasts that.
        STRIPE_TIMEOUT_MS: '1000',
        STRIPE_MAX_NETWORK_RETRIES: '0',
        PAYPAL_TIMEOUT_MS: '500',
        PAYMENT_STALE_PROCESSING_SECONDS: '2',
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await stripe?.stop();
    await schema?.drop();
  });

  const intentCreations = (paymentId: string) =>
    stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/payment_intents' && r.body.includes(paymentId));
  const process = (auth: string, paymentId: string) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: auth },
      payload: { payment_id: paymentId, payment_method_id: 'pm_card_visa' },
    });

  it('an intent created while its answer was lost: left open by the sweep, a retry is refused, one intent; its webhook completes it', async () => {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: '48.00' });
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: 'stripe' },
    });
    const paymentId = created.json().payment_id as string;
    slow.add(paymentId);

    const first = await process(user.auth, paymentId);
    expect(first.statusCode).toBe(503); // timed out: the outcome is unknown
    expect(first.json().error.code).toBe('GATEWAY_UNAVAILABLE');
    expect((await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } })).status).toBe('processing');
    expect(intentCreations(paymentId)).toHaveLength(1);
    // Stripe did create and charge it.
    const atStripe = ((await stripe.api('GET', '/v1/payment_intents?limit=100')).data as Array<Record<string, any>>).filter(
      (i) => i.metadata?.payment_id === paymentId,
    );
    expect(atStripe.map((i) => i.status)).toEqual(['succeeded']);

    await new Promise((r) => setTimeout(r, 2300)); // past the stale window
    const swept = await h.container.useCases.resumeStalePayments.execute();
    expect(swept.open).toBeGreaterThanOrEqual(1);
    const open = await h.container.useCaseDeps.payments.getPaymentDetail(paymentId);
    expect(open?.payment.status).toBe('processing'); // not failed, not expired
    expect(open?.attempts.map((a) => a.status)).toEqual(['processing']);
    // The buyer tries again: Stripe is asked first, nothing new is created.
    const retry = await process(user.auth, paymentId);
    expect([retry.statusCode, retry.json().error?.code]).toEqual([409, 'PAYMENT_IN_PROGRESS']);
    expect(intentCreations(paymentId)).toHaveLength(1);

    // Stripe's webhook for the intent settles it (as localstripe would send it).
    const event = {
      id: `evt_${randomUUID().replace(/-/g, '')}`,
      object: 'event',
      type: 'payment_intent.succeeded',
      created: Math.floor(Date.now() / 1000),
      data: { object: atStripe[0] },
    };
    const raw = JSON.stringify(event);
    const hook = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/webhooks/stripe/',
      headers: { 'content-type': 'application/json', 'stripe-signature': signStripePayload(raw, h.config.stripeWebhookSecret, Math.floor(Date.now() / 1000)) },
      payload: raw,
    });
    expect(hook.json()).toMatchObject({ applied: true });
    const done = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
    expect([done.status, done.gatewayTransactionId, done.attemptCount]).toEqual(['completed', atStripe[0].id, 1]);
    await h.container.useCases.resumeStalePayments.execute();
    expect(intentCreations(paymentId)).toHaveLength(1);
    expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.succeeded', key: order.orderId } })).toBe(1);
    expect(await h.container.prisma.duplicateCapture.count({ where: { paymentId } })).toBe(0);
  });
});
