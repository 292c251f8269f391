// What happens after a crash or a gateway outage: nothing is charged or refunded twice, and
// nothing the saga asked for is lost. In a schema of its own: the sweeps act on every stale row.
import { createEnvelope, invalid, unavailable } from '@sudamall/shared';
import { eventually } from '@sudamall/shared/testing';
import type { ChargeRequest, RefundLookupRequest, RefundRequest, RefundResult } from '../../src/app/ports';
import { TestGateway } from '../../src/infra/gateways/test-gateway';
import { admin, buyer, CARDS, FakeOrders, startHarness, type Harness } from '../support/harness';
import { createOwnSchema } from '../support/own-schema';

// Its own schema is migrated in beforeAll, which can take a while on a loaded machine.
jest.setTimeout(120_000);

/** The test gateway, with an outage switch and a log of idempotency keys. */
class FlakyGateway extends TestGateway {
  refundOutage = false;
  /** The refund goes through, then the answer is lost (a client timeout after the gateway acted). */
  refundAnswerLost = false;
  /** The gateway refuses the refund for good. */
  refundRejected = false;
  readonly chargeKeys: string[] = [];
  readonly refundKeys: string[] = [];
  readonly refundLookups: string[] = [];
  override async charge(req: ChargeRequest) {
    this.chargeKeys.push(req.idempotencyKey);
    return super.charge(req);
  }
  override async refund(req: RefundRequest): Promise<RefundResult> {
    this.refundKeys.push(req.idempotencyKey);
    if (this.refundOutage) throw unavailable('GATEWAY_UNAVAILABLE', 'connection reset');
    if (this.refundRejected) throw invalid('GATEWAY_REJECTED', 'charge already disputed');
    const made = await super.refund(req);
    if (this.refundAnswerLost) throw unavailable('GATEWAY_UNAVAILABLE', 'stripe is unavailable: Request timed out');
    return made;
  }
  override async lookupRefund(req: RefundLookupRequest) {
    this.refundLookups.push(req.refundId);
    if (this.refundOutage) throw unavailable('GATEWAY_UNAVAILABLE', 'connection reset');
    return super.lookupRefund(req);
  }
}

describe('recovery', () => {
  let h: Harness;
  const orders = new FakeOrders();
  const gateway = new FlakyGateway();

  let schema: Awaited<ReturnType<typeof createOwnSchema>>;

  beforeAll(async () => {
    schema = await createOwnSchema('recovery');
    h = await startHarness({
      orders,
      gateways: [gateway],
      env: {
        PAYMENT_STALE_PROCESSING_SECONDS: '1',
        // The stale window must outlast the gateway clients' longest call (config refuses otherwise).
        STRIPE_TIMEOUT_MS: '300',
        STRIPE_MAX_NETWORK_RETRIES: '0',
        PAYPAL_TIMEOUT_MS: '300',
        DATABASE_URL: schema.databaseUrl,
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await schema?.drop();
  });

  async function payment(total: string) {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: total });
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: 'test_gateway' },
    });
    // What the buyer is charged (amount + the test gateway's fee): what a full refund gives back.
    return { user, order, paymentId: res.json().payment_id as string, charged: res.json().total_amount as string };
  }

  it('a payment left processing by a crash is resumed with the same attempt and idempotency key', async () => {
    const { user, paymentId } = await payment('18.00');
    // A process call claimed the payment and died before the gateway answered.
    const claim = await h.container.useCaseDeps.charges.claimForProcessing({ paymentId, staleAfterSeconds: 1, cardLast4: '4242' });
    expect(claim?.attemptNumber).toBe(1);
    const tooSoon = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: user.auth },
      payload: { payment_id: paymentId, card_number: CARDS.success },
    });
    expect(tooSoon.json().error.code).toBe('PAYMENT_IN_PROGRESS');

    await new Promise((r) => setTimeout(r, 1200));
    const resumed = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: user.auth },
      payload: { payment_id: paymentId, card_number: CARDS.success },
    });
    expect(resumed.json()).toMatchObject({ outcome: 'succeeded', attempt_number: 1, payment: { status: 'completed', attempt_count: 1 } });
    expect(gateway.chargeKeys.filter((k) => k.includes(paymentId))).toEqual([`payment:${paymentId}:attempt:1`]);
  });

  it('a saga refund that meets a gateway outage stays pending and is completed by the sweep, once', async () => {
    const { user, order, paymentId, charged } = await payment('27.00');
    await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: user.auth },
      payload: { payment_id: paymentId, card_number: CARDS.success },
    });

    gateway.refundOutage = true;
    const effect = await h.container.useCases.handlePaymentCommand.execute(
      createEnvelope('payment.refund', order.orderId, { order_id: order.orderId, reason: 'order_cancelled' }),
    );
    expect(effect.kind).toBe('refund_reserved');
    // The handler only recorded it; the refund worker's call (outside the handler) met the outage.
    await eventually(
      async () => expect((await h.container.prisma.refund.findFirstOrThrow({ where: { paymentId } })).lastError).toMatch(/GATEWAY_UNAVAILABLE/),
      { timeoutMs: 20_000 },
    );
    const pending = await h.container.prisma.refund.findMany({ where: { paymentId } });
    // Everything charged (27.00 + the fee) goes back.
    expect(pending.map((r) => [r.status, r.amount.toFixed(2)])).toEqual([['pending', charged]]);
    // The reservation holds: nobody can refund the same money meanwhile.
    expect((await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } })).refundedAmount.toFixed(2)).toBe(charged);

    gateway.refundOutage = false;
    await new Promise((r) => setTimeout(r, 1100)); // past the attempt's lease (the stale window, 1 s here)
    const done = await h.container.useCases.resumePendingRefunds.execute(0);
    expect(done).toBeGreaterThanOrEqual(1);
    const [refund] = await h.container.prisma.refund.findMany({ where: { paymentId } });
    expect(refund.status).toBe('completed');
    expect(gateway.refundKeys.filter((k) => k === `refund:${refund.refundId}`)).toHaveLength(2); // same key both times
    expect(gateway.refundLookups).toContain(refund.refundId); // asked the gateway before sending again
    expect((await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } })).status).toBe('refunded');
    expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.refunded', key: order.orderId } })).toBe(1);
  });

  it('a keyed partial refund that meets an outage stays pending, a re-send under its key waits for it, and the sweep completes it with the key', async () => {
    const { user, order, paymentId } = await payment('30.00');
    await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: user.auth },
      payload: { payment_id: paymentId, card_number: CARDS.success },
    });
    gateway.refundOutage = true;
    const command = (reason: string) =>
      createEnvelope('payment.refund', order.orderId, { order_id: order.orderId, reason, amount: '7.50', refund_key: 'adj-outage' });
    expect((await h.container.useCases.handlePaymentCommand.execute(command('fulfillment_cancelled'))).kind).toBe('refund_reserved');
    await eventually(
      async () => expect((await h.container.prisma.refund.findFirstOrThrow({ where: { paymentId } })).lastError).toMatch(/GATEWAY_UNAVAILABLE/),
      { timeoutMs: 20_000 },
    );
    // The saga re-sends while it is pending: nothing new, its completion will answer.
    expect(await h.container.useCases.handlePaymentCommand.execute(command('fulfillment_cancelled'))).toMatchObject({ kind: 'nothing' });

    gateway.refundOutage = false;
    await new Promise((r) => setTimeout(r, 1100)); // past the attempt's lease (the stale window, 1 s here)
    expect(await h.container.useCases.resumePendingRefunds.execute(0)).toBeGreaterThanOrEqual(1);
    const refunds = await h.container.prisma.refund.findMany({ where: { paymentId } });
    expect(refunds.map((r) => [r.status, r.amount.toFixed(2), r.refundKey])).toEqual([['completed', '7.50', 'adj-outage']]);
    const events = await h.container.prisma.outboxMessage.findMany({ where: { type: 'payment.refunded', key: order.orderId } });
    expect(events.map((e) => (e.payload as { data: Record<string, unknown> }).data)).toEqual([
      {
        payment_id: paymentId,
        order_id: order.orderId,
        refund_id: refunds[0].refundId,
        amount: '7.50',
        reason: 'fulfillment_cancelled',
        refund_key: 'adj-outage',
      },
    ]);
    const p = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
    expect([p.status, p.refundedAmount.toFixed(2)]).toEqual(['partially_refunded', '7.50']);
  });

  const adminRefund = (paymentId: string, body: Record<string, unknown> = {}) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/refunds/create/',
      headers: { authorization: admin().auth },
      payload: { payment_id: paymentId, reason: 'x', ...body },
    });

  it('an admin refund that meets a gateway outage stays pending (202, amount reserved), and the sweep sends it with the same key', async () => {
    const { user, paymentId, charged } = await payment('10.00');
    await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: user.auth },
      payload: { payment_id: paymentId, card_number: CARDS.success },
    });
    gateway.refundOutage = true;
    let refundId: string;
    try {
      const res = await adminRefund(paymentId);
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({
        refund: { status: 'pending', amount: charged, attempt_count: 1, last_error: expect.stringMatching(/^GATEWAY_UNAVAILABLE/) },
        payment: { status: 'completed', refunded_amount: charged, refundable_amount: '0.00' },
      });
      refundId = res.json().refund.refund_id;
      // The reservation holds: a second full refund meanwhile finds nothing left to refund.
      expect((await adminRefund(paymentId)).json().error.code).toBe('PAYMENT_FULLY_REFUNDED');
    } finally {
      gateway.refundOutage = false;
    }
    await new Promise((r) => setTimeout(r, 1100));
    expect(await h.container.useCases.resumePendingRefunds.execute(0)).toBeGreaterThanOrEqual(1);
    const one = await h.app.inject({ method: 'GET', url: `/api/v1/payments/refunds/${refundId}/`, headers: { authorization: admin().auth } });
    expect(one.json()).toMatchObject({ status: 'completed', attempt_count: 2, last_error: null });
    expect(gateway.refundKeys.filter((k) => k.startsWith('refund:') && k.includes(refundId))).toEqual([`refund:${refundId}`, `refund:${refundId}`]);
    const row = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
    expect([row.status, row.refundedAmount.toFixed(2)]).toEqual(['refunded', charged]);
  });

  it('an admin refund whose answer was lost after the gateway refunded is reconciled, not refunded twice', async () => {
    const { user, order, paymentId } = await payment('20.00');
    await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: user.auth },
      payload: { payment_id: paymentId, card_number: CARDS.success },
    });
    gateway.refundAnswerLost = true;
    let refundId: string;
    try {
      const res = await adminRefund(paymentId, { amount: '5.00' });
      expect(res.statusCode).toBe(202);
      refundId = res.json().refund.refund_id;
    } finally {
      gateway.refundAnswerLost = false;
    }
    const made = await gateway.lookupRefund({
      paymentId,
      refundId,
      idempotencyKey: `refund:${refundId}`,
      transactionId: null,
      reference: null,
      amount: '5.00',
      currency: 'USD',
    });
    expect(made.status).toBe('succeeded'); // the gateway did refund
    await new Promise((r) => setTimeout(r, 1100));
    await h.container.useCases.resumePendingRefunds.execute(0);
    const refund = await h.container.prisma.refund.findUniqueOrThrow({ where: { refundId } });
    expect([refund.status, refund.gatewayRefundId]).toEqual(['completed', made.status === 'succeeded' ? made.gatewayRefundId : 'none']);
    // Found at the gateway by its refund id: not sent again, refunded once.
    expect(gateway.refundLookups).toContain(refundId);
    expect(gateway.refundKeys.filter((k) => k === `refund:${refundId}`)).toHaveLength(1);
    expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.refunded', key: order.orderId } })).toBe(1);
    expect((await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } })).refundedAmount.toFixed(2)).toBe('5.00');
  });

  it('only a definite refusal fails an admin refund and releases its amount', async () => {
    const { user, paymentId } = await payment('8.00');
    await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: user.auth },
      payload: { payment_id: paymentId, card_number: CARDS.success },
    });
    gateway.refundRejected = true;
    try {
      const res = await adminRefund(paymentId);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('GATEWAY_REJECTED');
    } finally {
      gateway.refundRejected = false;
    }
    const row = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
    expect([row.status, row.refundedAmount.toFixed(2)]).toEqual(['completed', '0.00']);
    expect((await h.container.prisma.refund.findMany({ where: { paymentId } })).map((r) => [r.status, r.failureReason])).toEqual([
      ['failed', 'GATEWAY_REJECTED'],
    ]);
  });

  it('the sweep replays a charge that went through before a crash, without charging again', async () => {
    const { paymentId } = await payment('44.00');
    const claim = await h.container.useCaseDeps.charges.claimForProcessing({ paymentId, staleAfterSeconds: 1, cardLast4: '4242' });
    // The gateway charged, then the process died before recording it.
    await gateway.charge({
      paymentId,
      orderId: claim!.payment.orderReference,
      attemptNumber: claim!.attemptNumber,
      idempotencyKey: claim!.idempotencyKey,
      amount: claim!.payment.totalAmount,
      currency: 'USD',
      input: { cardNumber: CARDS.success },
      previousReference: null,
    });
    const charges = gateway.chargeCount;
    await new Promise((r) => setTimeout(r, 1100));
    const swept = await h.container.useCases.resumeStalePayments.execute();
    expect(swept.resumed).toBeGreaterThanOrEqual(1);
    expect(gateway.chargeCount).toBe(charges);
    const row = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
    expect([row.status, row.attemptCount]).toEqual(['completed', 1]);
    expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.succeeded', key: row.orderReference } })).toBe(1);
  });

  it('the sweep charges nothing once the order cannot be paid: the gateway never saw the attempt, the payment expires', async () => {
    const { order, paymentId } = await payment('12.00');
    await h.container.useCaseDeps.charges.claimForProcessing({ paymentId, staleAfterSeconds: 1, cardLast4: '4242' });
    orders.update(order.orderId, { payable: false, reason: 'PAYMENT_WINDOW_EXPIRED', paymentExpiresAt: new Date(Date.now() - 1) });
    const charges = gateway.chargeCount;
    await new Promise((r) => setTimeout(r, 1100));
    const swept = await h.container.useCases.resumeStalePayments.execute();
    expect(swept.closed).toBeGreaterThanOrEqual(1);
    expect(gateway.chargeCount).toBe(charges);
    const detail = await h.container.useCaseDeps.payments.getPaymentDetail(paymentId);
    expect(detail?.payment.status).toBe('expired');
    expect(detail?.attempts.map((a) => [a.status, a.failureCode])).toEqual([['error', 'NOT_CHARGED']]);
  });
});
