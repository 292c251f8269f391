// Issue 12, item 2 for PayPal: a stale attempt is settled from PayPal's own record of the order
// (the local PayPal fake over HTTP), never guessed and never captured twice. In a schema of its
// own: the sweep acts on every stale row.
import { FakePaypal } from '../support/fake-paypal';
import { buyer, FakeOrders, startHarness, type Harness } from '../support/harness';
import { createOwnSchema } from '../support/own-schema';

jest.setTimeout(120_000);

describe('stale PayPal attempts: PayPal is asked', () => {
  let schema: Awaited<ReturnType<typeof createOwnSchema>>;
  let paypal: FakePaypal;
  let h: Harness;
  const orders = new FakeOrders();

  beforeAll(async () => {
    schema = await createOwnSchema('paypal_recovery');
    paypal = await new FakePaypal().start();
    h = await startHarness({
      orders,
      env: {
        DATABASE_URL: schema.databaseUrl,
        PAYPAL_BASE_URL: paypal.url,
        PAYPAL_CLIENT_ID: paypal.clientId,
        PAYPAL_CLIENT_SECRET: paypal.clientSecret,
        PAYMENT_STALE_PROCESSING_SECONDS: '1',
        STRIPE_TIMEOUT_MS: '300',
        STRIPE_MAX_NETWORK_RETRIES: '0',
        PAYPAL_TIMEOUT_MS: '300',
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await paypal?.stop();
    await schema?.drop();
  });

  /** A PayPal payment whose order the payer approved, then an attempt claimed by a process that died. */
  async function approvedThenClaimed(total: string) {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: total });
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: 'paypal' },
    });
    const paymentId = created.json().payment_id as string;
    const first = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: user.auth },
      payload: { payment_id: paymentId },
    });
    expect(first.json()).toMatchObject({ outcome: 'requires_action' });
    const paypalOrderId = first.json().payment.gateway_reference as string;
    paypal.approve(paypalOrderId);
    const claim = await h.container.useCaseDeps.charges.claimForProcessing({ paymentId, staleAfterSeconds: 1, cardLast4: null });
    expect(claim?.attemptNumber).toBe(2);
    return { user, order, paymentId, paypalOrderId, claim: claim! };
  }

  it('captured at PayPal before the crash: the sweep reads the capture and completes the payment, no second capture', async () => {
    const { order, paymentId, paypalOrderId, claim } = await approvedThenClaimed('22.00');
    const captured = await h.container.useCaseDeps.gateways.get('paypal')!.charge({
      paymentId,
      orderId: order.orderId,
      attemptNumber: claim.attemptNumber,
      idempotencyKey: claim.idempotencyKey,
      amount: claim.payment.totalAmount,
      currency: 'USD',
      input: {},
      previousReference: paypalOrderId,
    });
    expect(captured.status).toBe('succeeded');
    const capturesBefore = paypal.captures;
    await new Promise((r) => setTimeout(r, 1200));
    const swept = await h.container.useCases.resumeStalePayments.execute();
    expect(swept.resumed).toBeGreaterThanOrEqual(1);
    const row = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
    expect([row.status, row.gatewayTransactionId, row.attemptCount]).toEqual(['completed', (captured as { transactionId: string }).transactionId, 2]);
    expect(paypal.captures).toBe(capturesBefore);
    expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.succeeded', key: order.orderId } })).toBe(1);
  });

  it('never captured (PayPal still holds the approved order): the payment waits for the payer, then captures once', async () => {
    const { user, paymentId } = await approvedThenClaimed('13.00');
    const capturesBefore = paypal.captures;
    await new Promise((r) => setTimeout(r, 1200));
    await h.container.useCases.resumeStalePayments.execute();
    const waiting = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
    expect(waiting.status).toBe('pending');
    expect(paypal.captures).toBe(capturesBefore);
    const captured = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: user.auth },
      payload: { payment_id: paymentId },
    });
    expect(captured.json()).toMatchObject({ outcome: 'succeeded', attempt_number: 3, payment: { status: 'completed' } });
    expect(paypal.captures).toBe(capturesBefore + 1);
  });
});
