import { randomUUID } from 'node:crypto';
import { money, sumMoney } from '@sudamall/shared';
import { TestGateway } from '../../src/infra/gateways/test-gateway';
import { admin, buyer, CARDS, FakeOrders, startHarness, type Harness } from '../support/harness';

describe('refunds and concurrency', () => {
  let h: Harness;
  const orders = new FakeOrders();
  const gateway = new TestGateway();

  beforeAll(async () => {
    h = await startHarness({ orders, gateways: [gateway] });
  });
  afterAll(async () => {
    await h.close();
  });

  async function paidPayment(total: string) {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: total });
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: 'test_gateway' },
    });
    const paymentId = created.json().payment_id as string;
    const processed = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: user.auth },
      payload: { payment_id: paymentId, card_number: CARDS.success },
    });
    expect(processed.json().payment.status).toBe('completed');
    return { user, order, paymentId };
  }

  const refund = (auth: string, body: Record<string, unknown>) =>
    h.app.inject({ method: 'POST', url: '/api/v1/payments/refunds/create/', headers: { authorization: auth }, payload: body });

  it('ten concurrent process calls on one payment charge exactly once', async () => {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: '49.90' });
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: 'test_gateway' },
    });
    const paymentId = created.json().payment_id;
    const before = gateway.chargeCount;

    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.app.inject({
          method: 'POST',
          url: '/api/v1/payments/process/',
          headers: { authorization: user.auth },
          payload: { payment_id: paymentId, card_number: CARDS.success },
        }),
      ),
    );

    expect(gateway.chargeCount - before).toBe(1);
    const ok = results.filter((r) => r.statusCode === 200);
    expect(ok).toHaveLength(1);
    for (const r of results.filter((x) => x.statusCode !== 200)) {
      expect(r.statusCode).toBe(409);
      expect(['PAYMENT_IN_PROGRESS', 'PAYMENT_ALREADY_COMPLETED']).toContain(r.json().error.code);
    }
    const attempts = await h.container.prisma.paymentAttempt.count({ where: { paymentId } });
    expect(attempts).toBe(1);
    const succeeded = await h.container.prisma.outboxMessage.count({ where: { type: 'payment.succeeded', key: order.orderId } });
    expect(succeeded).toBe(1);
  });

  it('refunds partially, then the rest by default, fee included: partially_refunded → refunded, with payment.refunded events', async () => {
    // test_gateway: 2.00 + 2.5 % → the buyer was charged 104.50 for a 100.00 order.
    const { paymentId, order } = await paidPayment('100.00');
    const a = admin();
    const first = await refund(a.auth, { payment_id: paymentId, amount: '30.00', reason: 'damaged item' });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      refund: { amount: '30.00', status: 'completed', reason: 'damaged item', requested_by: a.id, gateway_refund_id: expect.stringMatching(/^test_refund_/) },
      payment: { status: 'partially_refunded', total_amount: '104.50', refunded_amount: '30.00', refundable_amount: '74.50' },
    });
    const rest = await refund(a.auth, { payment_id: paymentId });
    expect(rest.statusCode).toBe(201);
    expect(rest.json()).toMatchObject({
      refund: { amount: '74.50', reason: 'Customer request' },
      payment: { status: 'refunded', refunded_amount: '104.50', refundable_amount: '0.00' },
    });
    const more = await refund(a.auth, { payment_id: paymentId, amount: '0.01', reason: 'again' });
    expect(more.statusCode).toBe(409);
    expect(more.json().error.code).toBe('REFUND_NOT_ALLOWED');
    const events = await h.container.prisma.outboxMessage.findMany({ where: { type: 'payment.refunded', key: order.orderId }, orderBy: { id: 'asc' } });
    expect(events.map((e) => (e.payload as { data: { amount: string } }).data.amount)).toEqual(['30.00', '74.50']);
    const detail = await h.app.inject({ method: 'GET', url: `/api/v1/payments/detail/${paymentId}/`, headers: { authorization: a.auth } });
    expect(detail.json()).toMatchObject({ total_amount: '104.50', refunded_amount: '104.50', refundable_amount: '0.00' });
  });

  it('giving back only the order amount leaves the fee refundable: partially_refunded, not refunded', async () => {
    const { paymentId } = await paidPayment('100.00');
    const a = admin();
    const res = await refund(a.auth, { payment_id: paymentId, amount: '100.00', reason: 'item amount' });
    expect(res.json()).toMatchObject({ payment: { status: 'partially_refunded', refunded_amount: '100.00', refundable_amount: '4.50' } });
  });

  it('refuses more than what is left (409), a pending payment (409), unknown payments (404), non-admins (403)', async () => {
    const { paymentId } = await paidPayment('50.00'); // charged 53.25 (2.00 + 2.5 %)
    const a = admin();
    const tooMuch = await refund(a.auth, { payment_id: paymentId, amount: '53.26', reason: 'x' });
    expect(tooMuch.statusCode).toBe(409);
    expect(tooMuch.json().error).toMatchObject({ code: 'REFUND_EXCEEDS_REMAINING', details: { remaining: '53.25' } });

    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: '10.00' });
    const pending = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: 'test_gateway' },
    });
    const notCaptured = await refund(a.auth, { payment_id: pending.json().payment_id, reason: 'x' });
    expect(notCaptured.statusCode).toBe(409);
    expect(notCaptured.json().error.code).toBe('REFUND_NOT_ALLOWED');

    expect((await refund(a.auth, { payment_id: randomUUID(), reason: 'x' })).statusCode).toBe(404);
    expect((await refund(a.auth, { payment_id: paymentId, amount: '-1', reason: 'x' })).statusCode).toBe(400);
    expect((await refund(a.auth, { payment_id: paymentId, reason: '' })).statusCode).toBe(400);
    expect((await refund(buyer().auth, { payment_id: paymentId, reason: 'x' })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/payments/refunds/create/', payload: { payment_id: paymentId, reason: 'x' } })).statusCode).toBe(
      401,
    );
  });

  it('concurrent partial refunds never exceed the amount', async () => {
    const { paymentId } = await paidPayment('100.00');
    const a = admin();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => refund(a.auth, { payment_id: paymentId, amount: '15.00', reason: `r${i}` })));
    const ok = results.filter((r) => r.statusCode === 201);
    expect(ok).toHaveLength(6); // 6 × 15 = 90; a seventh would make 105 > 104.50 charged
    for (const r of results.filter((x) => x.statusCode !== 201)) {
      expect(r.statusCode).toBe(409);
      expect(r.json().error.code).toBe('REFUND_EXCEEDS_REMAINING');
    }
    const rows = await h.container.prisma.refund.findMany({ where: { paymentId, status: 'completed' } });
    const total = sumMoney(rows.map((r) => r.amount.toString()));
    expect(total.toFixed(2)).toBe('90.00');
    const payment = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
    expect(money(payment.refundedAmount.toString()).eq(total)).toBe(true);
    expect(payment.status).toBe('partially_refunded');
  });

  it('lists refunds (admin, paginated, filtered) and shows one', async () => {
    const { paymentId } = await paidPayment('40.00');
    const a = admin();
    const r1 = await refund(a.auth, { payment_id: paymentId, amount: '10.00', reason: 'one' });
    await refund(a.auth, { payment_id: paymentId, amount: '5.00', reason: 'two' });
    const list = await h.app.inject({
      method: 'GET',
      url: `/api/v1/payments/refunds/?payment_id=${paymentId}&page_size=1`,
      headers: { authorization: a.auth },
    });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ total: 2, page: 1, page_size: 1 });
    expect(list.json().items).toHaveLength(1);
    const byDate = async (query: string) =>
      (await h.app.inject({ method: 'GET', url: `/api/v1/payments/refunds/?payment_id=${paymentId}${query}`, headers: { authorization: a.auth } })).json();
    expect((await byDate('&sort=amount')).items.map((r: { amount: string }) => r.amount)).toEqual(['5.00', '10.00']);
    expect((await byDate('&sort=created_at')).items.map((r: { reason: string }) => r.reason)).toEqual(['one', 'two']);
    expect((await byDate(`&created_after=${encodeURIComponent(r1.json().refund.created_at)}&sort=created_at`)).total).toBe(2);
    expect((await byDate('&created_before=2000-01-01')).total).toBe(0);
    const refundId = r1.json().refund.refund_id;
    const one = await h.app.inject({ method: 'GET', url: `/api/v1/payments/refunds/${refundId}/`, headers: { authorization: a.auth } });
    expect(one.json()).toMatchObject({ refund_id: refundId, amount: '10.00', reason: 'one', payment_id: paymentId });
    expect((await h.app.inject({ method: 'GET', url: `/api/v1/payments/refunds/${randomUUID()}/`, headers: { authorization: a.auth } })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/payments/refunds/', headers: { authorization: buyer().auth } })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: `/api/v1/payments/refunds/${refundId}/`, headers: { authorization: buyer().auth } })).statusCode).toBe(
      403,
    );
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/payments/refunds/' })).statusCode).toBe(401);
    const detail = await h.app.inject({ method: 'GET', url: `/api/v1/payments/detail/${paymentId}/`, headers: { authorization: a.auth } });
    expect(detail.json().refunds.map((r: { amount: string }) => r.amount)).toEqual(['10.00', '5.00']);
  });
});
