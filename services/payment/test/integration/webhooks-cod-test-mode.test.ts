import { randomBytes, randomUUID } from 'node:crypto';
import { bearer } from '@sudamall/shared/testing';
import { createEnvelope } from '@sudamall/shared';
import { signStripePayload } from '../../src/domain/stripe-signature';
import { TestGateway } from '../../src/infra/gateways/test-gateway';
import { admin, buyer, CARDS, FakeOrders, seller, startHarness, type Harness } from '../support/harness';

describe('webhooks, cash on delivery and test mode', () => {
  let h: Harness;
  const orders = new FakeOrders();

  beforeAll(async () => {
    h = await startHarness({ orders, gateways: [new TestGateway()] });
  });
  afterAll(async () => {
    await h.close();
  });

  async function pendingPayment(gatewayName: string, total = '25.00', storeIds: string[] = []) {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: total, storeIds });
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: gatewayName },
    });
    expect(res.statusCode).toBe(201);
    return { user, order, paymentId: res.json().payment_id as string };
  }

  const stripeEvent = (type: string, paymentId: string, extra: Record<string, unknown> = {}) => ({
    id: `evt_${randomUUID().replace(/-/g, '')}`,
    object: 'event',
    type,
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: `pi_${randomUUID().slice(0, 8)}`, object: 'payment_intent', metadata: { payment_id: paymentId }, ...extra } },
  });

  const postStripe = (raw: string, signature?: string) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/webhooks/stripe/',
      headers: { 'content-type': 'application/json; charset=utf-8', ...(signature ? { 'stripe-signature': signature } : {}) },
      payload: raw,
    });
  const sign = (raw: string, secret = 'whsec_payment_tests') => signStripePayload(raw, secret, Math.floor(Date.now() / 1000));
  const statusOf = async (paymentId: string) => (await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } })).status;

  describe('POST /webhooks/stripe/', () => {
    it('applies a signed payment_intent.succeeded once; a replay is acknowledged as a duplicate', async () => {
      const { paymentId, order } = await pendingPayment('stripe');
      const raw = JSON.stringify(stripeEvent('payment_intent.succeeded', paymentId), null, 2);
      const first = await postStripe(raw, sign(raw));
      expect(first.statusCode).toBe(200);
      expect(first.json()).toEqual({ received: true, duplicate: false, applied: true, result: 'applied' });
      expect(await statusOf(paymentId)).toBe('completed');
      const replay = await postStripe(raw, sign(raw));
      expect(replay.json()).toMatchObject({ duplicate: true, applied: false });
      expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.succeeded', key: order.orderId } })).toBe(1);
    });

    it('ignores a failure that arrives after the success (out of order)', async () => {
      const { paymentId, order } = await pendingPayment('stripe');
      const ok = JSON.stringify(stripeEvent('payment_intent.succeeded', paymentId));
      await postStripe(ok, sign(ok));
      const late = JSON.stringify(stripeEvent('payment_intent.payment_failed', paymentId, { last_payment_error: { code: 'card_declined' } }));
      const res = await postStripe(late, sign(late));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ duplicate: false, applied: false, result: 'ignored:status_completed' });
      expect(await statusOf(paymentId)).toBe('completed');
      expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.failed', key: order.orderId } })).toBe(0);
    });

    it('records a capture confirmed after the payment was cancelled, so the saga can refund it', async () => {
      const { paymentId, order } = await pendingPayment('stripe');
      await h.container.useCases.handlePaymentCommand.execute(
        createEnvelope('payment.void', order.orderId, { order_id: order.orderId, reason: 'order_cancelled' }),
      );
      expect(await statusOf(paymentId)).toBe('cancelled');
      const raw = JSON.stringify(stripeEvent('payment_intent.succeeded', paymentId));
      expect((await postStripe(raw, sign(raw))).json()).toMatchObject({ applied: true });
      expect(await statusOf(paymentId)).toBe('completed');
      const types = (await h.container.prisma.outboxMessage.findMany({ where: { key: order.orderId }, orderBy: { id: 'asc' } })).map((m) => m.type);
      expect(types).toEqual(['payment.voided', 'payment.succeeded']);
    });

    it('flags, never drops, a late capture of a failed payment when another payment of the order is live', async () => {
      const { paymentId, order, user } = await pendingPayment('stripe');
      // The card failed; the buyer then paid with another gateway (a new live payment).
      await h.container.prisma.payment.update({ where: { paymentId }, data: { status: 'failed' } });
      const second = await h.app.inject({
        method: 'POST',
        url: '/api/v1/payments/create/',
        headers: { authorization: user.auth },
        payload: { order_id: order.orderId, gateway: 'test_gateway' },
      });
      expect(second.statusCode).toBe(201);
      const raw = JSON.stringify(stripeEvent('payment_intent.succeeded', paymentId));
      const res = await postStripe(raw, sign(raw));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ applied: false, result: 'ignored:duplicate_capture' });
      const row = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
      expect([row.status, row.failureReason]).toEqual(['failed', 'duplicate_capture']);
      expect(row.metadata).toMatchObject({ duplicate_capture: { live_payment_id: second.json().payment_id } });
    });

    it('refuses a forged, unsigned or tampered event with 400 INVALID_SIGNATURE and changes nothing', async () => {
      const { paymentId } = await pendingPayment('stripe');
      const raw = JSON.stringify(stripeEvent('payment_intent.succeeded', paymentId));
      const forged = await postStripe(raw, sign(raw, 'whsec_attacker'));
      expect(forged.statusCode).toBe(400);
      expect(forged.json().error.code).toBe('INVALID_SIGNATURE');
      expect((await postStripe(raw)).json().error.code).toBe('INVALID_SIGNATURE');
      const tampered = raw.replace('payment_intent.succeeded', 'payment_intent.succeedeD');
      expect((await postStripe(tampered, sign(raw))).statusCode).toBe(400);
      const old = signStripePayload(raw, 'whsec_payment_tests', Math.floor(Date.now() / 1000) - 3600);
      expect((await postStripe(raw, old)).statusCode).toBe(400);
      expect(await statusOf(paymentId)).toBe('pending');
      const event = JSON.parse(raw) as { id: string };
      expect(await h.container.prisma.webhookEvent.count({ where: { eventId: event.id } })).toBe(0);
    });

    it('records and acknowledges event types it does not act on, and unknown payments', async () => {
      const other = JSON.stringify({ id: `evt_${randomUUID()}`, type: 'customer.created', data: { object: {} } });
      expect((await postStripe(other, sign(other))).json()).toMatchObject({ applied: false, result: 'ignored:unhandled_type' });
      const unknown = JSON.stringify(stripeEvent('payment_intent.succeeded', randomUUID()));
      expect((await postStripe(unknown, sign(unknown))).json()).toMatchObject({ applied: false, result: 'ignored:unknown_payment' });
    });
  });

  describe('POST /test/webhook/ (test mode)', () => {
    const simulate = (auth: string | undefined, body: Record<string, unknown>, app = h.app) =>
      app.inject({ method: 'POST', url: '/api/v1/payments/test/webhook/', headers: auth ? { authorization: auth } : {}, payload: body });

    it('simulates success once per event id; a later failure changes nothing', async () => {
      const { paymentId } = await pendingPayment('test_gateway');
      const eventId = randomUUID();
      const operator = admin();
      const send = (body: Record<string, unknown>) => simulate(operator.auth, body);
      expect((await send({ payment_id: paymentId, event: 'payment.succeeded', event_id: eventId })).json()).toMatchObject({ applied: true });
      expect((await send({ payment_id: paymentId, event_id: eventId })).json()).toMatchObject({ duplicate: true }); // event defaults to payment.succeeded
      expect((await send({ payment_id: paymentId, event: 'payment.failed' })).json()).toMatchObject({ applied: false, result: 'ignored:status_completed' });
      expect(await statusOf(paymentId)).toBe('completed');
      expect((await send({ payment_id: paymentId, event: 'payment.exploded' })).statusCode).toBe(400);
      expect(
        (await h.app.inject({ method: 'POST', url: '/api/v1/payments/test/webhook/', payload: { payment_id: paymentId, event: 'payment.succeeded' } }))
          .statusCode,
      ).toBe(401);
    });

    it('is for admins only: the payer and sellers get 403 FORBIDDEN and nothing settles', async () => {
      const { paymentId, user } = await pendingPayment('test_gateway');
      for (const auth of [user.auth, seller().auth]) {
        const res = await simulate(auth, { payment_id: paymentId, event: 'payment.succeeded' });
        expect(res.statusCode).toBe(403);
        expect(res.json().error.code).toBe('FORBIDDEN');
      }
      expect(await statusOf(paymentId)).toBe('pending');
    });

    it('settles only test-gateway payments: a Stripe or cash payment is 409 NOT_TEST_GATEWAY_PAYMENT, an unknown one 404', async () => {
      for (const gateway of ['stripe', 'cash_on_delivery']) {
        const { paymentId, order } = await pendingPayment(gateway);
        const res = await simulate(admin().auth, { payment_id: paymentId, event: 'payment.succeeded', event_id: randomUUID() });
        expect(res.statusCode).toBe(409);
        expect(res.json().error).toMatchObject({ code: 'NOT_TEST_GATEWAY_PAYMENT', details: { payment_id: paymentId, gateway } });
        expect(await statusOf(paymentId)).toBe('pending');
        expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.succeeded', key: order.orderId } })).toBe(0);
      }
      const missing = await simulate(admin().auth, { payment_id: randomUUID(), event: 'payment.succeeded' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error.code).toBe('PAYMENT_NOT_FOUND');
    });

    it('answers 404 in production even where test mode is allowed (PAYMENT_TEST_MODE_IN_PRODUCTION)', async () => {
      const secret = randomBytes(48).toString('hex');
      const prod = await startHarness({
        orders,
        env: {
          NODE_ENV: 'production',
          JWT_SECRET: secret,
          JWT_HS256_IN_PRODUCTION: 'true',
          STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('hex')}`,
          PAYMENT_TEST_MODE: 'true',
          PAYMENT_TEST_MODE_IN_PRODUCTION: 'true',
        },
      });
      try {
        expect(prod.config.testMode).toBe(true);
        const auth = bearer({ sub: `admin-${randomUUID()}`, role: 'admin' }, secret);
        const user = buyer();
        const order = orders.add({ userId: user.id, totalAmount: '12.00' });
        const created = await prod.app.inject({
          method: 'POST',
          url: '/api/v1/payments/create/',
          headers: { authorization: bearer({ sub: user.id, role: 'buyer' }, secret) },
          payload: { order_id: order.orderId, gateway: 'test_gateway' },
        });
        expect(created.statusCode).toBe(201);
        const paymentId = created.json().payment_id as string;
        const hook = await simulate(auth, { payment_id: paymentId, event: 'payment.succeeded' }, prod.app);
        expect(hook.statusCode).toBe(404);
        expect(await statusOf(paymentId)).toBe('pending');
      } finally {
        await prod.close();
      }
    });
  });

  describe('POST /test/ (test mode)', () => {
    it('runs a test charge without storing anything', async () => {
      const user = buyer();
      const ok = await h.app.inject({
        method: 'POST',
        url: '/api/v1/payments/test/',
        headers: { authorization: user.auth },
        payload: { amount: '100.00', card_number: CARDS.success },
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ outcome: 'succeeded', amount: '100.00', gateway_fee: '4.50', total_amount: '104.50', card_last4: '4242' });
      const declined = await h.app.inject({
        method: 'POST',
        url: '/api/v1/payments/test/',
        headers: { authorization: user.auth },
        payload: { card_number: CARDS.insufficientFunds },
      });
      expect(declined.json()).toMatchObject({ outcome: 'failed', failure_code: 'insufficient_funds' });
      const invalid = await h.app.inject({
        method: 'POST',
        url: '/api/v1/payments/test/',
        headers: { authorization: user.auth },
        payload: { card_number: '1234 - - - - - - - -' },
      });
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json().error.code).toBe('VALIDATION_FAILED'); // the documented card_number pattern
    });

    it('answers 404 on the test endpoints when test mode is off', async () => {
      const prod = await startHarness({ orders, env: { PAYMENT_TEST_MODE: 'false' } });
      try {
        const auth = admin().auth;
        const test = await prod.app.inject({ method: 'POST', url: '/api/v1/payments/test/', headers: { authorization: auth }, payload: {} });
        expect(test.statusCode).toBe(404);
        const hook = await prod.app.inject({ method: 'POST', url: '/api/v1/payments/test/webhook/', headers: { authorization: auth }, payload: {} });
        expect(hook.statusCode).toBe(404);
        const gateways = await prod.app.inject({ method: 'GET', url: '/api/v1/payments/gateways/', headers: { authorization: auth } });
        expect(gateways.json().map((g: { name: string }) => g.name)).not.toContain('test_gateway');
      } finally {
        await prod.close();
      }
    });
  });

  describe('cash on delivery', () => {
    it('stays pending (the order goes ahead) until a seller of a store in the order marks it collected', async () => {
      const deliverer = seller();
      const storeOf = (s: { id: string }) => `store-${s.id}`; // harness seller(): store_id is store-<id>
      const { paymentId, user, order } = await pendingPayment('cash_on_delivery', '80.00', ['store-elsewhere', storeOf(deliverer)]);
      const processed = await h.app.inject({
        method: 'POST',
        url: '/api/v1/payments/process/',
        headers: { authorization: user.auth },
        payload: { payment_id: paymentId },
      });
      expect(processed.statusCode).toBe(200);
      expect(processed.json()).toMatchObject({ outcome: 'awaiting_collection', payment: { status: 'pending', total_amount: '80.00' } });
      expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.succeeded', key: order.orderId } })).toBe(1);

      const again = await h.app.inject({
        method: 'POST',
        url: '/api/v1/payments/process/',
        headers: { authorization: user.auth },
        payload: { payment_id: paymentId },
      });
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe('PAYMENT_AWAITING_COLLECTION');

      const url = `/api/v1/payments/${paymentId}/collect/`;
      expect((await h.app.inject({ method: 'POST', url, headers: { authorization: user.auth } })).statusCode).toBe(403);
      expect((await h.app.inject({ method: 'POST', url })).statusCode).toBe(401);
      // A seller with no store in the order: 403, and the payment stays uncollected.
      const stranger = await h.app.inject({ method: 'POST', url, headers: { authorization: seller().auth } });
      expect(stranger.statusCode).toBe(403);
      expect(stranger.json().error).toMatchObject({ code: 'FORBIDDEN', details: { order_id: order.orderId } });
      expect(await statusOf(paymentId)).toBe('pending');
      const collected = await h.app.inject({ method: 'POST', url, headers: { authorization: deliverer.auth } });
      expect(collected.statusCode).toBe(200);
      expect(collected.json()).toMatchObject({ status: 'completed', payment_id: paymentId });
      const twice = await h.app.inject({ method: 'POST', url, headers: { authorization: admin().auth } });
      expect(twice.statusCode).toBe(409);
      expect(twice.json().error.code).toBe('PAYMENT_NOT_COLLECTABLE');
      // Announced once, when the buyer chose cash on delivery.
      expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.succeeded', key: order.orderId } })).toBe(1);
    });

    it("an admin collects any store's cash on delivery", async () => {
      const { paymentId, user } = await pendingPayment('cash_on_delivery', '30.00', ['store-x']);
      await h.app.inject({ method: 'POST', url: '/api/v1/payments/process/', headers: { authorization: user.auth }, payload: { payment_id: paymentId } });
      const res = await h.app.inject({ method: 'POST', url: `/api/v1/payments/${paymentId}/collect/`, headers: { authorization: admin().auth } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'completed' });
    });

    it('only collects cash-on-delivery payments (409) that exist (404)', async () => {
      const { paymentId } = await pendingPayment('test_gateway');
      const res = await h.app.inject({ method: 'POST', url: `/api/v1/payments/${paymentId}/collect/`, headers: { authorization: admin().auth } });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('NOT_CASH_ON_DELIVERY');
      const missing = await h.app.inject({ method: 'POST', url: `/api/v1/payments/${randomUUID()}/collect/`, headers: { authorization: admin().auth } });
      expect(missing.statusCode).toBe(404);
    });
  });
});
