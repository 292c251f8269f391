import { FakePaypal } from '../support/fake-paypal';
import { admin, buyer, FakeOrders, startHarness, type Harness } from '../support/harness';

describe('PayPal (Orders v2) against a local fake over HTTP', () => {
  let h: Harness;
  let paypal: FakePaypal;
  const orders = new FakeOrders();

  beforeAll(async () => {
    paypal = await new FakePaypal().start();
    h = await startHarness({
      orders,
      env: { PAYPAL_BASE_URL: paypal.url, PAYPAL_CLIENT_ID: paypal.clientId, PAYPAL_CLIENT_SECRET: paypal.clientSecret },
    });
  });
  afterAll(async () => {
    await h?.close();
    await paypal?.stop();
  });

  async function paypalPayment(total: string) {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: total });
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: 'paypal' },
    });
    expect(res.statusCode).toBe(201);
    return { user, order, payment: res.json() };
  }
  const processPayment = (auth: string, paymentId: string) =>
    h.app.inject({ method: 'POST', url: '/api/v1/payments/process/', headers: { authorization: auth }, payload: { payment_id: paymentId } });

  it('creates a PayPal order, waits for the payer, captures once, and refunds', async () => {
    const { user, order, payment } = await paypalPayment('40.00');
    expect(payment).toMatchObject({ gateway_fee: '1.89', total_amount: '41.89' }); // 0.49 + 1.396

    const first = await processPayment(user.auth, payment.payment_id);
    expect(first.statusCode).toBe(200);
    const paypalOrderId = first.json().payment.gateway_reference;
    expect(first.json()).toMatchObject({ outcome: 'requires_action', attempt_number: 1, payment: { status: 'pending' } });
    expect(first.json().action_url).toBe(`${paypal.url}/checkoutnow?token=${paypalOrderId}`);
    expect(paypal.orders.get(paypalOrderId)).toMatchObject({
      amount: { value: '41.89', currency_code: 'USD' },
      reference_id: payment.payment_id,
      custom_id: order.orderId,
    });

    // Not approved yet: PayPal says so, the payment waits.
    const early = await processPayment(user.auth, payment.payment_id);
    expect(early.json()).toMatchObject({ outcome: 'requires_action', attempt_number: 2, payment: { status: 'pending', gateway_reference: paypalOrderId } });

    paypal.approve(paypalOrderId);
    const captured = await processPayment(user.auth, payment.payment_id);
    expect(captured.json()).toMatchObject({ outcome: 'succeeded', attempt_number: 3, payment: { status: 'completed', gateway_reference: paypalOrderId } });
    expect(captured.json().payment.gateway_transaction_id).toMatch(/^CAP/);
    expect(paypal.captures).toBe(1);
    expect(paypal.orders.size).toBe(1);
    expect(paypal.requestIds.every((rid) => rid.startsWith(`payment:${payment.payment_id}:attempt:`))).toBe(true);

    const refund = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/refunds/create/',
      headers: { authorization: admin().auth },
      payload: { payment_id: payment.payment_id, amount: '10.00', reason: 'one item missing' },
    });
    expect(refund.statusCode).toBe(201);
    expect(refund.json()).toMatchObject({
      refund: { status: 'completed', amount: '10.00', gateway_refund_id: expect.stringMatching(/^REF/) },
      payment: { status: 'partially_refunded' },
    });
    expect(paypal.refunds.map((r) => r.value)).toEqual(['10.00']);

    // Reconciliation reads PayPal's own record of the order's refunds, ours by custom_id.
    const adapter = h.container.useCaseDeps.gateways.get('paypal')!;
    const refundId = refund.json().refund.refund_id as string;
    const target = {
      paymentId: payment.payment_id,
      idempotencyKey: `refund:${refundId}`,
      transactionId: captured.json().payment.gateway_transaction_id,
      reference: paypalOrderId,
      amount: '10.00',
      currency: 'USD',
    };
    expect(paypal.refunds[0].customId).toBe(refundId);
    expect(await adapter.lookupRefund({ ...target, refundId })).toMatchObject({ status: 'succeeded', gatewayRefundId: refund.json().refund.gateway_refund_id });
    expect(await adapter.lookupRefund({ ...target, refundId: '00000000-0000-4000-8000-000000000000' })).toMatchObject({ status: 'not_found' });
  });

  it('a declined capture leaves the payment retryable', async () => {
    const { user, payment } = await paypalPayment('12.00');
    const created = await processPayment(user.auth, payment.payment_id);
    paypal.approve(created.json().payment.gateway_reference);
    paypal.declineNextCapture = 'INSTRUMENT_DECLINED';
    const declined = await processPayment(user.auth, payment.payment_id);
    expect(declined.json()).toMatchObject({ outcome: 'failed', failure_code: 'instrument_declined', retryable: true, payment: { status: 'failed' } });
    const retried = await processPayment(user.auth, payment.payment_id);
    expect(retried.json()).toMatchObject({ outcome: 'succeeded', payment: { status: 'completed' } });
  });

  it('answers 503 GATEWAY_UNAVAILABLE when PayPal cannot be reached, and keeps the attempt open', async () => {
    const down = await startHarness({ orders, env: { PAYPAL_BASE_URL: 'http://127.0.0.1:9', PAYPAL_CLIENT_ID: 'x', PAYPAL_CLIENT_SECRET: 'y' } });
    try {
      const user = buyer();
      const order = orders.add({ userId: user.id, totalAmount: '9.00' });
      const created = await down.app.inject({
        method: 'POST',
        url: '/api/v1/payments/create/',
        headers: { authorization: user.auth },
        payload: { order_id: order.orderId, gateway: 'paypal' },
      });
      const res = await down.app.inject({
        method: 'POST',
        url: '/api/v1/payments/process/',
        headers: { authorization: user.auth },
        payload: { payment_id: created.json().payment_id },
      });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('GATEWAY_UNAVAILABLE');
      const again = await down.app.inject({
        method: 'POST',
        url: '/api/v1/payments/process/',
        headers: { authorization: user.auth },
        payload: { payment_id: created.json().payment_id },
      });
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe('PAYMENT_IN_PROGRESS');
    } finally {
      await down.close();
    }
  });
});
