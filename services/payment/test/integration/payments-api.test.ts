import { randomUUID } from 'node:crypto';
import { TestGateway } from '../../src/infra/gateways/test-gateway';
import { admin, buyer, CARDS, FakeOrders, seller, startHarness, type Harness } from '../support/harness';

describe('payments REST API (create, process, read)', () => {
  let h: Harness;
  const orders = new FakeOrders();
  const gateway = new TestGateway();

  beforeAll(async () => {
    h = await startHarness({ orders, gateways: [gateway] });
  });
  afterAll(async () => {
    await h.close();
  });

  const create = (auth: string, body: Record<string, unknown>) =>
    h.app.inject({ method: 'POST', url: '/api/v1/payments/create/', headers: { authorization: auth }, payload: body });
  const processPayment = (auth: string, body: Record<string, unknown>) =>
    h.app.inject({ method: 'POST', url: '/api/v1/payments/process/', headers: { authorization: auth }, payload: body });
  const outboxFor = (paymentId: string) =>
    h.container.prisma.$queryRawUnsafe<Array<{ type: string; payload: { data: Record<string, unknown> } }>>(
      `SELECT type, payload FROM outbox WHERE payload->'data'->>'payment_id' = $1 ORDER BY id`,
      paymentId,
    );

  async function newPayment(total = '100.00', gatewayName = 'test_gateway') {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: total });
    const res = await create(user.auth, { order_id: order.orderId, gateway: gatewayName });
    expect(res.statusCode).toBe(201);
    return { user, order, payment: res.json() };
  }

  describe('POST /payments/create/', () => {
    it('creates a pending payment with the amount taken from the order and the fee to the cent', async () => {
      const user = buyer();
      const order = orders.add({ userId: user.id, totalAmount: '19.99' });
      // A client-supplied amount is not part of the contract and never used.
      const res = await create(user.auth, { order_id: order.orderId, gateway: 'test_gateway', amount: '0.01' });
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({
        order_reference: order.orderId,
        user_id: user.id,
        gateway: 'test_gateway',
        payment_method: 'credit_card',
        amount: '19.99',
        gateway_fee: '2.50', // the spec's 2.00 + 19.99 × 2.5 % = 2.49975
        total_amount: '22.49',
        status: 'pending',
        attempt_count: 0,
      });
    });

    it('applies each gateway fee schedule (paypal 0.49 + 3.49 %, cash on delivery free)', async () => {
      const u1 = buyer();
      const o1 = orders.add({ userId: u1.id, totalAmount: '250.00' });
      expect((await create(u1.auth, { order_id: o1.orderId, gateway: 'paypal' })).json()).toMatchObject({
        gateway_fee: '9.22', // 0.49 + 8.725 = 9.215 → half-up 9.22
        total_amount: '259.22',
        payment_method: 'paypal',
      });
      const u2 = buyer();
      const o2 = orders.add({ userId: u2.id, totalAmount: '250.00' });
      expect((await create(u2.auth, { order_id: o2.orderId, gateway: 'cash_on_delivery' })).json()).toMatchObject({
        gateway_fee: '0.00',
        total_amount: '250.00',
      });
    });

    it('allows one live payment per order: 409 PAYMENT_EXISTS pointing at it', async () => {
      const { user, order, payment } = await newPayment();
      const again = await create(user.auth, { order_id: order.orderId, gateway: 'test_gateway' });
      expect(again.statusCode).toBe(409);
      expect(again.json().error).toMatchObject({ code: 'PAYMENT_EXISTS', details: { payment_id: payment.payment_id, status: 'pending' } });
    });

    it('one live payment also when two creates race', async () => {
      const user = buyer();
      const order = orders.add({ userId: user.id, totalAmount: '10.00' });
      const results = await Promise.all(Array.from({ length: 5 }, () => create(user.auth, { order_id: order.orderId, gateway: 'test_gateway' })));
      expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409, 409]);
      const count = await h.container.prisma.payment.count({ where: { orderReference: order.orderId } });
      expect(count).toBe(1);
    });

    it('refuses an order that is not awaiting payment (409 ORDER_NOT_PAYABLE)', async () => {
      const user = buyer();
      const order = orders.add({ userId: user.id, totalAmount: '10.00', status: 'pending', payable: false, reason: 'ORDER_NOT_AWAITING_PAYMENT' });
      const res = await create(user.auth, { order_id: order.orderId, gateway: 'test_gateway' });
      expect(res.statusCode).toBe(409);
      expect(res.json().error).toMatchObject({ code: 'ORDER_NOT_PAYABLE', details: { order_status: 'pending' } });
    });

    it('refuses an order past its payment deadline (409 PAYMENT_WINDOW_EXPIRED)', async () => {
      const user = buyer();
      const expired = orders.add({
        userId: user.id,
        totalAmount: '10.00',
        payable: false,
        reason: 'PAYMENT_WINDOW_EXPIRED',
        paymentExpiresAt: new Date(Date.now() - 1000),
      });
      const res = await create(user.auth, { order_id: expired.orderId, gateway: 'test_gateway' });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('PAYMENT_WINDOW_EXPIRED');
      // Even if the order service still said payable, a deadline in the past is enforced here too.
      const stale = orders.add({ userId: user.id, totalAmount: '10.00', paymentExpiresAt: new Date(Date.now() - 1000) });
      const res2 = await create(user.auth, { order_id: stale.orderId, gateway: 'test_gateway' });
      expect(res2.json().error.code).toBe('PAYMENT_WINDOW_EXPIRED');
    });

    it("refuses another user's order (403), an unknown order (404), an unknown gateway (400), a bad body (400)", async () => {
      const owner = buyer();
      const order = orders.add({ userId: owner.id, totalAmount: '10.00' });
      const other = await create(buyer().auth, { order_id: order.orderId, gateway: 'test_gateway' });
      expect(other.statusCode).toBe(403);
      expect(other.json().error.code).toBe('FORBIDDEN');
      const unknown = await create(owner.auth, { order_id: randomUUID(), gateway: 'test_gateway' });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error.code).toBe('ORDER_NOT_FOUND');
      const gw = await create(owner.auth, { order_id: order.orderId, gateway: 'bitcoin' });
      expect(gw.statusCode).toBe(409);
      expect(gw.json().error.code).toBe('GATEWAY_NOT_AVAILABLE');
      const bad = await create(owner.auth, { gateway: 'test_gateway' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.code).toBe('VALIDATION_FAILED');
    });

    it('needs a buyer token (401 without, 403 for a seller)', async () => {
      const order = orders.add({ userId: 'x', totalAmount: '1.00' });
      const none = await h.app.inject({ method: 'POST', url: '/api/v1/payments/create/', payload: { order_id: order.orderId, gateway: 'test_gateway' } });
      expect(none.statusCode).toBe(401);
      expect(none.json().error.code).toBe('UNAUTHENTICATED');
      const forged = await create('Bearer not.a.jwt', { order_id: order.orderId, gateway: 'test_gateway' });
      expect(forged.statusCode).toBe(401);
      const bySeller = await create(seller().auth, { order_id: order.orderId, gateway: 'test_gateway' });
      expect(bySeller.statusCode).toBe(403);
    });
  });

  describe('POST /payments/process/', () => {
    it('completes with the success card and emits payment.succeeded through the outbox', async () => {
      const { user, order, payment } = await newPayment('100.00');
      const res = await processPayment(user.auth, { payment_id: payment.payment_id, card_number: CARDS.success });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ outcome: 'succeeded', attempt_number: 1, retryable: false, failure_code: null });
      expect(body.payment).toMatchObject({ status: 'completed', attempt_count: 1, amount: '100.00', gateway_fee: '4.50', total_amount: '104.50' });
      expect(body.payment.gateway_transaction_id).toMatch(/^test_txn_/);
      const events = await outboxFor(payment.payment_id);
      expect(events.map((e) => e.type)).toEqual(['payment.succeeded']);
      expect(events[0].payload.data).toEqual({
        payment_id: payment.payment_id,
        order_id: order.orderId,
        user_id: user.id,
        gateway: 'test_gateway',
        amount: '100.00',
        gateway_fee: '4.50',
        total_amount: '104.50',
      });
    });

    it.each([
      [CARDS.declined, 'card_declined'],
      [CARDS.insufficientFunds, 'insufficient_funds'],
      [CARDS.expired, 'expired_card'],
      [CARDS.incorrectCvc, 'incorrect_cvc'],
    ])('card %s fails with %s and stays retryable', async (card, code) => {
      const { user, payment } = await newPayment('20.00');
      const res = await processPayment(user.auth, { payment_id: payment.payment_id, card_number: card });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ outcome: 'failed', failure_code: code, retryable: true, payment: { status: 'failed', failure_reason: code } });
      const events = await outboxFor(payment.payment_id);
      expect(events.map((e) => [e.type, e.payload.data.reason])).toEqual([['payment.failed', code]]);
    });

    it('retries after a decline with a new attempt number, then completes', async () => {
      const { user, payment } = await newPayment('20.00');
      const first = await processPayment(user.auth, { payment_id: payment.payment_id, card_number: CARDS.declined });
      expect(first.json()).toMatchObject({ outcome: 'failed', attempt_number: 1 });
      const second = await processPayment(user.auth, { payment_id: payment.payment_id, card_number: '4242 4242 4242 4242' });
      expect(second.json()).toMatchObject({ outcome: 'succeeded', attempt_number: 2, payment: { status: 'completed', attempt_count: 2 } });
      const detail = await h.app.inject({ method: 'GET', url: `/api/v1/payments/detail/${payment.payment_id}/`, headers: { authorization: user.auth } });
      expect(
        detail.json().attempts.map((a: { attempt_number: number; status: string; card_last4: string }) => [a.attempt_number, a.status, a.card_last4]),
      ).toEqual([
        [1, 'failed', '0002'],
        [2, 'succeeded', '4242'],
      ]);
      const third = await processPayment(user.auth, { payment_id: payment.payment_id, card_number: CARDS.success });
      expect(third.statusCode).toBe(409);
      expect(third.json().error.code).toBe('PAYMENT_ALREADY_COMPLETED');
    });

    it("charges a card number the test gateway does not list, as the spec's default scenario does", async () => {
      const { user, payment } = await newPayment('20.00');
      const res = await processPayment(user.auth, { payment_id: payment.payment_id, card_number: '5555 5555 5555 4444' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ outcome: 'succeeded', attempt_number: 1, payment: { status: 'completed', total_amount: '22.50' } });
      const detail = await h.app.inject({ method: 'GET', url: `/api/v1/payments/detail/${payment.payment_id}/`, headers: { authorization: user.auth } });
      expect(detail.json().attempts.map((a: { status: string; card_last4: string }) => [a.status, a.card_last4])).toEqual([['succeeded', '4444']]);
    });

    it('rejects what cannot be a card number with 400 (the documented pattern) and records nothing', async () => {
      const { user, payment } = await newPayment('20.00');
      const res = await processPayment(user.auth, { payment_id: payment.payment_id, card_number: '1234 5678 90' });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { errors: [expect.objectContaining({ path: 'body.card_number' })] } });
      const missing = await processPayment(user.auth, { payment_id: payment.payment_id });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().error.code).toBe('CARD_NUMBER_REQUIRED');
      const row = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId: payment.payment_id } });
      expect([row.status, row.attemptCount]).toEqual(['pending', 0]);
    });

    it('never stores a card number beyond its last four digits', async () => {
      const { user, payment } = await newPayment('20.00');
      await processPayment(user.auth, { payment_id: payment.payment_id, card_number: CARDS.declined });
      await processPayment(user.auth, { payment_id: payment.payment_id, card_number: CARDS.success });
      const dump = await h.container.prisma.$queryRawUnsafe<Array<{ t: string }>>(
        `SELECT (SELECT coalesce(string_agg(a::text, ' '), '') FROM payment_attempts a WHERE a.payment_id = $1::uuid)
              || (SELECT p::text FROM payments p WHERE p.payment_id = $1::uuid)
              || (SELECT coalesce(string_agg(o.payload::text, ' '), '') FROM outbox o WHERE o.payload->'data'->>'payment_id' = $1::text) AS t`,
        payment.payment_id,
      );
      expect(dump[0].t).toContain('0002');
      expect(dump[0].t).not.toContain(CARDS.declined);
      expect(dump[0].t).not.toContain(CARDS.success);
    });

    it('refuses to charge once the order window has closed, and expires the payment', async () => {
      const { user, order, payment } = await newPayment('20.00');
      orders.update(order.orderId, { payable: false, reason: 'PAYMENT_WINDOW_EXPIRED', paymentExpiresAt: new Date(Date.now() - 1) });
      const before = gateway.chargeCount;
      const res = await processPayment(user.auth, { payment_id: payment.payment_id, card_number: CARDS.success });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('PAYMENT_WINDOW_EXPIRED');
      expect(gateway.chargeCount).toBe(before);
      const row = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId: payment.payment_id } });
      expect(row.status).toBe('expired');
    });

    it('refuses to charge for a cancelled order and cancels the payment', async () => {
      const { user, order, payment } = await newPayment('20.00');
      orders.update(order.orderId, { status: 'cancelled', payable: false, reason: 'ORDER_CANCELLED' });
      const res = await processPayment(user.auth, { payment_id: payment.payment_id, card_number: CARDS.success });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('ORDER_NOT_PAYABLE');
      const again = await processPayment(user.auth, { payment_id: payment.payment_id, card_number: CARDS.success });
      expect(again.json().error.code).toBe('PAYMENT_NOT_PROCESSABLE');
    });

    it("answers 404 for an unknown payment and 403 for someone else's", async () => {
      const { payment } = await newPayment('20.00');
      const unknown = await processPayment(buyer().auth, { payment_id: randomUUID(), card_number: CARDS.success });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error.code).toBe('PAYMENT_NOT_FOUND');
      const notMine = await processPayment(buyer().auth, { payment_id: payment.payment_id, card_number: CARDS.success });
      expect(notMine.statusCode).toBe(403);
      const noToken = await h.app.inject({ method: 'POST', url: '/api/v1/payments/process/', payload: { payment_id: payment.payment_id } });
      expect(noToken.statusCode).toBe(401);
      const adminCannotPay = await processPayment(admin().auth, { payment_id: payment.payment_id, card_number: CARDS.success });
      expect(adminCannotPay.statusCode).toBe(403);
    });
  });

  describe('reading payments', () => {
    it('GET /status/{order_reference}/ for the owner and admins, 403 for others, 404 without payment', async () => {
      const { user, order, payment } = await newPayment('20.00');
      const mine = await h.app.inject({ method: 'GET', url: `/api/v1/payments/status/${order.orderId}/`, headers: { authorization: user.auth } });
      expect(mine.statusCode).toBe(200);
      expect(mine.json()).toMatchObject({ payment_id: payment.payment_id, status: 'pending', order_reference: order.orderId });
      const byAdmin = await h.app.inject({ method: 'GET', url: `/api/v1/payments/status/${order.orderId}`, headers: { authorization: admin().auth } });
      expect(byAdmin.statusCode).toBe(200);
      const other = await h.app.inject({ method: 'GET', url: `/api/v1/payments/status/${order.orderId}/`, headers: { authorization: buyer().auth } });
      expect(other.statusCode).toBe(403);
      const none = await h.app.inject({ method: 'GET', url: `/api/v1/payments/status/${randomUUID()}/`, headers: { authorization: user.auth } });
      expect(none.statusCode).toBe(404);
      const anon = await h.app.inject({ method: 'GET', url: `/api/v1/payments/status/${order.orderId}/` });
      expect(anon.statusCode).toBe(401);
    });

    it('GET /detail/{payment_id}/ with attempts and refunds; 403 / 404 / 401', async () => {
      const { user, payment } = await newPayment('20.00');
      const res = await h.app.inject({ method: 'GET', url: `/api/v1/payments/detail/${payment.payment_id}/`, headers: { authorization: user.auth } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ payment_id: payment.payment_id, attempts: [], refunds: [] });
      expect(
        (await h.app.inject({ method: 'GET', url: `/api/v1/payments/detail/${payment.payment_id}/`, headers: { authorization: admin().auth } })).statusCode,
      ).toBe(200);
      expect(
        (await h.app.inject({ method: 'GET', url: `/api/v1/payments/detail/${payment.payment_id}/`, headers: { authorization: buyer().auth } })).statusCode,
      ).toBe(403);
      expect((await h.app.inject({ method: 'GET', url: `/api/v1/payments/detail/${randomUUID()}/`, headers: { authorization: user.auth } })).statusCode).toBe(
        404,
      );
      expect((await h.app.inject({ method: 'GET', url: `/api/v1/payments/detail/not-a-uuid/`, headers: { authorization: user.auth } })).statusCode).toBe(404);
      expect((await h.app.inject({ method: 'GET', url: `/api/v1/payments/detail/${payment.payment_id}/` })).statusCode).toBe(401);
    });

    it('GET /my-payments/ paginates the caller’s payments only', async () => {
      const user = buyer();
      for (let i = 0; i < 3; i += 1) {
        const order = orders.add({ userId: user.id, totalAmount: `${10 + i}.00` });
        expect((await create(user.auth, { order_id: order.orderId, gateway: 'test_gateway' })).statusCode).toBe(201);
      }
      await newPayment('5.00'); // someone else's
      const page1 = await h.app.inject({ method: 'GET', url: '/api/v1/payments/my-payments/?page=1&page_size=2', headers: { authorization: user.auth } });
      expect(page1.statusCode).toBe(200);
      expect(page1.json()).toMatchObject({ total: 3, page: 1, page_size: 2 });
      expect(page1.json().items).toHaveLength(2);
      const page2 = await h.app.inject({ method: 'GET', url: '/api/v1/payments/my-payments?page=2&page_size=2', headers: { authorization: user.auth } });
      expect(page2.json().items).toHaveLength(1);
      const all = [...page1.json().items, ...page2.json().items];
      expect(all.every((p: { user_id: string }) => p.user_id === user.id)).toBe(true);
      expect(new Set(all.map((p: { payment_id: string }) => p.payment_id)).size).toBe(3);
      const filtered = await h.app.inject({ method: 'GET', url: '/api/v1/payments/my-payments/?status=completed', headers: { authorization: user.auth } });
      expect(filtered.json().total).toBe(0);
      const bad = await h.app.inject({ method: 'GET', url: '/api/v1/payments/my-payments/?page_size=1000', headers: { authorization: user.auth } });
      expect(bad.statusCode).toBe(400);
      expect((await h.app.inject({ method: 'GET', url: '/api/v1/payments/my-payments/' })).statusCode).toBe(401);
    });

    it('GET /my-payments/ and the admin GET / filter by creation date and sort by date or total', async () => {
      const user = buyer();
      const before = new Date().toISOString();
      const ids: string[] = [];
      for (const total of ['30.00', '10.00', '20.00']) {
        const order = orders.add({ userId: user.id, totalAmount: total });
        const res = await create(user.auth, { order_id: order.orderId, gateway: 'paypal' });
        expect(res.statusCode).toBe(201);
        ids.push(res.json().payment_id);
      }
      const mine = async (query: string) => {
        const res = await h.app.inject({ method: 'GET', url: `/api/v1/payments/my-payments/${query}`, headers: { authorization: user.auth } });
        expect(res.statusCode).toBe(200);
        return res.json().items.map((p: { payment_id: string }) => p.payment_id);
      };
      expect(await mine('')).toEqual([...ids].reverse());
      expect(await mine('?sort=created_at')).toEqual(ids);
      expect(await mine('?sort=total_amount')).toEqual([ids[1], ids[2], ids[0]]);
      expect(await mine('?sort=-total_amount')).toEqual([ids[0], ids[2], ids[1]]);
      expect(await mine(`?created_after=${encodeURIComponent(before)}&sort=created_at`)).toEqual(ids);
      expect(await mine('?created_before=2000-01-01')).toEqual([]);
      expect(
        (await h.app.inject({ method: 'GET', url: '/api/v1/payments/my-payments/?created_after=soon', headers: { authorization: user.auth } })).statusCode,
      ).toBe(400);

      const a = admin();
      const all = async (query: string) => {
        const res = await h.app.inject({ method: 'GET', url: `/api/v1/payments/${query}`, headers: { authorization: a.auth } });
        expect(res.statusCode).toBe(200);
        return res.json();
      };
      const since = `created_after=${encodeURIComponent(before)}`;
      const paypal = await all(`?gateway=paypal&${since}&sort=created_at&page_size=100`);
      expect(paypal.items.map((p: { payment_id: string }) => p.payment_id)).toEqual(expect.arrayContaining(ids));
      expect(paypal.items.every((p: { gateway: string }) => p.gateway === 'paypal')).toBe(true);
      const other = await newPayment('7.00');
      const everyone = await all(`?${since}&status=pending&page_size=100`);
      expect(everyone.items.map((p: { payment_id: string }) => p.payment_id)).toEqual(expect.arrayContaining([...ids, other.payment.payment_id]));
      expect((await all(`?${since}&status=completed`)).items.map((p: { payment_id: string }) => p.payment_id)).not.toContain(ids[0]);
      expect((await h.app.inject({ method: 'GET', url: '/api/v1/payments/', headers: { authorization: user.auth } })).statusCode).toBe(403);
      expect((await h.app.inject({ method: 'GET', url: '/api/v1/payments/' })).statusCode).toBe(401);
    });

    it('GET /gateways/ lists the active gateways with fees; GET /config/ the public settings', async () => {
      const user = buyer();
      const gateways = await h.app.inject({ method: 'GET', url: '/api/v1/payments/gateways/', headers: { authorization: user.auth } });
      expect(gateways.statusCode).toBe(200);
      const byName = Object.fromEntries(gateways.json().map((g: { name: string }) => [g.name, g]));
      expect(Object.keys(byName).sort()).toEqual(['cash_on_delivery', 'paypal', 'stripe', 'test_gateway']);
      expect(byName.test_gateway).toMatchObject({ fixed_fee: '2.00', percentage_fee: '2.50', type: 'card' });
      const config = await h.app.inject({ method: 'GET', url: '/api/v1/payments/config', headers: { authorization: user.auth } });
      expect(config.json()).toMatchObject({
        test_mode: true,
        currency: 'USD',
        payment_window_minutes: 15,
        stripe_publishable_key: expect.stringMatching(/^pk_/),
      });
      expect((await h.app.inject({ method: 'GET', url: '/api/v1/payments/gateways/' })).statusCode).toBe(401);
      expect((await h.app.inject({ method: 'GET', url: '/api/v1/payments/config/' })).statusCode).toBe(401);
    });

    it('serves the OpenAPI document', async () => {
      const res = await h.app.inject({ method: 'GET', url: '/api/v1/payments/openapi.json' });
      expect(res.statusCode).toBe(200);
      const paths = Object.keys(res.json().paths);
      for (const p of ['/api/v1/payments/create', '/api/v1/payments/process', '/api/v1/payments/refunds/create', '/api/v1/payments/webhooks/stripe']) {
        expect(paths).toContain(p);
      }
    });
  });
});
