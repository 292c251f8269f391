// Two answers the order saga waits for, over real Kafka and PostgreSQL (a schema of its own):
// - a payment.void that lands while a charge is in flight is kept on the payment, so a decline
//   that lands afterwards closes the payment (payment.voided) instead of leaving it chargeable
//   on a cancelled order (chaos 08-slow-gateway found it);
// - a saga refund the gateway definitely refuses answers payment.refund_failed (an unknown
//   outcome does not: it stays pending and is reconciled).
import {
  createEnvelope,
  KafkaBus,
  OutboxRelay,
  topicName,
  Topics,
  unavailable,
  unprocessable,
  type AnyEnvelope,
  type DomainError,
  type Subscription,
  subscribeConsumers,
} from '@sudamall/shared';
import { createTestTopics, eventually, testTopicPrefix } from '@sudamall/shared/testing';
import type { ChargeRequest, RefundRequest, RefundResult } from '../../src/app/ports';
import { chargeIdempotencyKey } from '../../src/domain/idempotency';
import { TestGateway } from '../../src/infra/gateways/test-gateway';
import { paymentCommandsConsumer } from '../../src/infra/payment-commands-consumer';
import { buyer, CARDS, FakeOrders, startHarness, type Harness } from '../support/harness';
import { createOwnSchema } from '../support/own-schema';

const prefix = testTopicPrefix();
jest.setTimeout(150_000);

/** A charge held at the gateway until the test lets it answer (the injectable gateway delay). */
class Hold {
  reached!: () => void;
  release!: () => void;
  readonly atGateway = new Promise<void>((r) => (this.reached = r));
  readonly released = new Promise<void>((r) => (this.release = r));
}

/** The test gateway, with charges that can be held and refunds that can be refused. */
class ScriptedGateway extends TestGateway {
  readonly holds = new Map<string, Hold>();
  readonly refundErrors = new Map<string, DomainError>();
  constructor() {
    super({ answerDelay: (req: ChargeRequest) => this.wait(req) });
  }
  private async wait(req: ChargeRequest): Promise<void> {
    const hold = this.holds.get(req.paymentId);
    if (!hold) return;
    hold.reached();
    await hold.released;
  }
  override async refund(req: RefundRequest): Promise<RefundResult> {
    const error = this.refundErrors.get(req.paymentId);
    if (error) throw error;
    return super.refund(req);
  }
}

describe('saga answers: a void during a charge, a refused refund', () => {
  let h: Harness;
  let bus: KafkaBus;
  let relay: OutboxRelay;
  let consumer: Subscription;
  let eventsSub: Subscription;
  let schema: Awaited<ReturnType<typeof createOwnSchema>>;
  const orders = new FakeOrders();
  const gateway = new ScriptedGateway();
  const seen: AnyEnvelope[] = [];

  beforeAll(async () => {
    schema = await createOwnSchema('void-during-charge');
    h = await startHarness({ orders, gateways: [gateway], env: { KAFKA_TOPIC_PREFIX: prefix, DATABASE_URL: schema.databaseUrl } });
    bus = new KafkaBus({ brokers: h.config.KAFKA_BROKERS.split(','), clientId: 'payment-void-during-charge-test', logger: h.container.logger });
    await createTestTopics(bus, prefix);
    await bus.connect();
    relay = new OutboxRelay({ databaseUrl: h.config.DATABASE_URL, bus, logger: h.container.logger, topicPrefix: prefix, pollMs: 100 });
    await relay.start();
    [consumer] = await subscribeConsumers(bus, [paymentCommandsConsumer(h.container.useCases, h.container.logger)], prefix);
    eventsSub = await bus.subscribe({
      groupId: `${prefix}observer`,
      topics: [topicName(prefix, Topics.paymentEvents)],
      fromBeginning: true,
      handle: async (e) => {
        seen.push(e);
      },
    });
  });

  afterAll(async () => {
    for (const hold of gateway.holds.values()) hold.release();
    await eventsSub?.stop();
    await consumer?.stop();
    await relay?.stop();
    await bus?.disconnect();
    await h?.close();
    await schema?.drop();
  });

  const send = (envelope: AnyEnvelope) => bus.publish(topicName(prefix, Topics.paymentCommands), [envelope]);
  const typesFor = (orderId: string) => seen.filter((e) => e.key === orderId).map((e) => e.type);
  const row = (paymentId: string) => h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
  const handled = (eventId: string) =>
    eventually(async () => expect(await h.container.prisma.inboxMessage.count({ where: { eventId } })).toBe(1), { timeoutMs: 60_000 });

  async function newPayment(total: string) {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: total });
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: 'test_gateway' },
    });
    expect(created.statusCode).toBe(201);
    return { user, orderId: order.orderId, paymentId: created.json().payment_id as string };
  }

  const processCall = (user: { auth: string }, paymentId: string, card: string) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: user.auth },
      payload: { payment_id: paymentId, card_number: card },
    });

  it('a decline that lands after payment.void (payment_timeout) expires the payment, answers payment.voided, and no new attempt starts', async () => {
    const { user, orderId, paymentId } = await newPayment('18.00');
    const hold = new Hold();
    gateway.holds.set(paymentId, hold);
    const charging = processCall(user, paymentId, CARDS.declined);
    await hold.atGateway;
    expect((await row(paymentId)).status).toBe('processing');

    // The saga's payment window passes while the gateway still holds the charge.
    const voidCommand = createEnvelope('payment.void', orderId, { order_id: orderId, reason: 'payment_timeout' });
    await send(voidCommand);
    await handled(voidCommand.id);
    const during = await row(paymentId);
    expect(during.status).toBe('processing');
    expect((during.metadata as { void_requested?: { reason: string; event_id: string } }).void_requested).toMatchObject({
      reason: 'payment_timeout',
      event_id: voidCommand.id,
    });

    // The decline lands: the payment closes as the void would have.
    hold.release();
    const answered = await charging;
    expect(answered.statusCode).toBe(200);
    expect(answered.json()).toMatchObject({ outcome: 'failed', retryable: false, payment: { status: 'expired' } });
    const closed = await row(paymentId);
    expect([closed.status, closed.failureReason]).toEqual(['expired', 'payment_timeout']);
    await eventually(() => expect(typesFor(orderId)).toEqual(['payment.failed', 'payment.voided']), { timeoutMs: 45_000 });
    expect(seen.find((e) => e.key === orderId && e.type === 'payment.voided')!.data).toEqual({
      payment_id: paymentId,
      order_id: orderId,
      reason: 'payment_timeout',
    });
    const attempts = await h.container.prisma.paymentAttempt.findMany({ where: { paymentId } });
    expect(attempts.map((a) => [a.attemptNumber, a.status, a.failureCode])).toEqual([[1, 'failed', 'card_declined']]);

    // The buyer tries another card: refused, and nothing reaches the gateway.
    const charges = gateway.chargeCount;
    const retry = await processCall(user, paymentId, CARDS.success);
    expect(retry.statusCode).toBe(409);
    expect(retry.json().error.code).toBe('PAYMENT_NOT_PROCESSABLE');
    expect(gateway.chargeCount).toBe(charges);
    expect((await row(paymentId)).status).toBe('expired');
  });

  it('a failure webhook after payment.void (order cancelled) cancels the payment; process is refused while the void waits', async () => {
    const { user, orderId, paymentId } = await newPayment('19.00');
    const claim = await h.container.useCaseDeps.charges.claimForProcessing({ paymentId, staleAfterSeconds: 600, cardLast4: '0002' });
    expect(claim).not.toBeNull();
    const voidCommand = createEnvelope('payment.void', orderId, { order_id: orderId, reason: 'order_cancelled' });
    await send(voidCommand);
    await handled(voidCommand.id);

    // Under the row lock, the claim itself refuses a payment whose order asked for a void.
    expect(
      await h.container.useCaseDeps.charges.claimForProcessing({ paymentId, staleAfterSeconds: 0, cardLast4: '4242', now: new Date(Date.now() + 3_600_000) }),
    ).toBeNull();

    const result = await h.container.useCaseDeps.webhooks.applyGatewayEvent({
      provider: 'test_gateway',
      eventId: `evt_${paymentId}`,
      type: 'payment.failed',
      payload: {},
      paymentId,
      outcome: { kind: 'failed', code: 'card_declined', message: 'declined' },
    });
    expect(result).toMatchObject({ duplicate: false, applied: true, payment: { status: 'cancelled' } });
    const closed = await row(paymentId);
    expect([closed.status, closed.failureReason]).toEqual(['cancelled', 'order_cancelled']);
    await eventually(() => expect(typesFor(orderId)).toEqual(['payment.failed', 'payment.voided']), { timeoutMs: 45_000 });
    const retry = await processCall(user, paymentId, CARDS.success);
    expect([retry.statusCode, retry.json().error.code]).toEqual([409, 'PAYMENT_NOT_PROCESSABLE']);
  });

  it('the stale sweep that finds the decline at the gateway closes a payment whose order asked for a void', async () => {
    const { user, orderId, paymentId } = await newPayment('20.00');
    const past = new Date(Date.now() - 3_600_000);
    const claim = await h.container.useCaseDeps.charges.claimForProcessing({ paymentId, staleAfterSeconds: 600, cardLast4: '0002', now: past });
    expect(claim).not.toBeNull();
    // The gateway declined it, and the answer never reached us (the process died).
    await gateway.charge({
      paymentId,
      orderId,
      attemptNumber: 1,
      idempotencyKey: chargeIdempotencyKey(paymentId, 1),
      amount: claim!.payment.totalAmount,
      currency: claim!.payment.currency,
      input: { cardNumber: CARDS.declined },
      previousReference: null,
    });
    const voidCommand = createEnvelope('payment.void', orderId, { order_id: orderId, reason: 'payment_timeout' });
    await send(voidCommand);
    await handled(voidCommand.id);
    expect((await row(paymentId)).status).toBe('processing');

    await h.container.useCases.resumeStalePayments.execute();
    const closed = await row(paymentId);
    expect([closed.status, closed.failureReason]).toEqual(['expired', 'payment_timeout']);
    await eventually(() => expect(typesFor(orderId)).toEqual(['payment.failed', 'payment.voided']), { timeoutMs: 45_000 });
    expect((await processCall(user, paymentId, CARDS.success)).statusCode).toBe(409);
  });

  it('the other endings of a voided charge close it too: a definite gateway error, a 3-D Secure wait, a stale attempt the gateway never saw', async () => {
    const repo = h.container.useCaseDeps.charges;
    const voided = async (reason: string, now?: Date) => {
      const p = await newPayment('21.00');
      const claim = await repo.claimForProcessing({ paymentId: p.paymentId, staleAfterSeconds: 600, cardLast4: '4242', ...(now ? { now } : {}) });
      expect(claim).not.toBeNull();
      const command = createEnvelope('payment.void', p.orderId, { order_id: p.orderId, reason });
      await send(command);
      await handled(command.id);
      return { ...p, attempt: claim!.attemptNumber };
    };

    const refused = await voided('order_cancelled');
    await repo.recordAttemptError(refused.paymentId, refused.attempt, { code: 'CARD_REFUSED', message: 'refused outright' }, false);
    expect([(await row(refused.paymentId)).status, (await row(refused.paymentId)).failureReason]).toEqual(['cancelled', 'order_cancelled']);

    const action = await voided('payment_timeout');
    const pending = await repo.recordChargeOutcome(action.paymentId, action.attempt, {
      status: 'requires_action',
      reference: 'pi_3ds',
      actionUrl: 'https://example.test/3ds',
      raw: {},
    });
    expect(pending.status).toBe('expired');

    // A buyer's process call finds the attempt stale; the gateway never saw it: closed, refused.
    const stale = await voided('payment_timeout', new Date(Date.now() - 3_600_000));
    const charges = gateway.chargeCount;
    const res = await processCall(stale.user, stale.paymentId, CARDS.success);
    expect([res.statusCode, res.json().error.code]).toEqual([409, 'PAYMENT_VOID_REQUESTED']);
    expect(gateway.chargeCount).toBe(charges);
    expect((await row(stale.paymentId)).status).toBe('expired');

    for (const o of [refused, action, stale]) {
      await eventually(() => expect(typesFor(o.orderId)).toEqual(['payment.voided']), { timeoutMs: 45_000 });
    }
  });

  async function paid(total: string) {
    const p = await newPayment(total);
    const res = await processCall(p.user, p.paymentId, CARDS.success);
    expect(res.json().payment.status).toBe('completed');
    await eventually(() => expect(typesFor(p.orderId)).toEqual(['payment.succeeded']), { timeoutMs: 45_000 });
    return p;
  }

  it('a saga refund the gateway definitely refuses answers payment.refund_failed in the transaction that fails it; a new payment.refund is a new attempt', async () => {
    const { orderId, paymentId } = await paid('40.00');
    gateway.refundErrors.set(paymentId, unprocessable('CHARGE_DISPUTED', 'the charge is disputed: it cannot be refunded'));
    await send(createEnvelope('payment.refund', orderId, { order_id: orderId, reason: 'payment_timeout' }));
    await eventually(() => expect(typesFor(orderId)).toEqual(['payment.succeeded', 'payment.refund_failed']), { timeoutMs: 45_000 });
    const [failed] = await h.container.prisma.refund.findMany({ where: { paymentId } });
    expect([failed.status, failed.failureReason]).toEqual(['failed', 'CHARGE_DISPUTED']);
    const event = seen.find((e) => e.key === orderId && e.type === 'payment.refund_failed')!;
    // 40.00 + 2.00 + 2.5 %: everything the buyer paid was asked back, and is refundable again.
    expect(event.data).toEqual({
      payment_id: paymentId,
      order_id: orderId,
      refund_id: failed.refundId,
      amount: failed.amount.toFixed(2),
      reason: 'CHARGE_DISPUTED',
    });
    const p = await row(paymentId);
    expect([p.status, p.refundedAmount.toFixed(2)]).toEqual(['completed', '0.00']);

    // The operator's retry re-sends payment.refund: a new refund (its own key), which goes through.
    gateway.refundErrors.delete(paymentId);
    await send(createEnvelope('payment.refund', orderId, { order_id: orderId, reason: 'payment_timeout' }));
    await eventually(() => expect(typesFor(orderId)).toEqual(['payment.succeeded', 'payment.refund_failed', 'payment.refunded']), { timeoutMs: 45_000 });
    const refunds = await h.container.prisma.refund.findMany({ where: { paymentId }, orderBy: { createdAt: 'asc' } });
    expect(refunds.map((r) => r.status)).toEqual(['failed', 'completed']);
    expect(refunds[1].refundId).not.toBe(refunds[0].refundId);
    expect((await row(paymentId)).status).toBe('refunded');
  });

  it('a saga refund whose outcome is unknown stays pending and answers nothing', async () => {
    const { orderId, paymentId } = await paid('41.00');
    gateway.refundErrors.set(paymentId, unavailable('GATEWAY_TIMEOUT', 'the gateway did not answer in time'));
    await send(createEnvelope('payment.refund', orderId, { order_id: orderId, reason: 'payment_timeout' }));
    await eventually(
      async () => {
        const [r] = await h.container.prisma.refund.findMany({ where: { paymentId } });
        expect(r?.lastError).toMatch(/GATEWAY_TIMEOUT/);
      },
      { timeoutMs: 45_000 },
    );
    const [pending] = await h.container.prisma.refund.findMany({ where: { paymentId } });
    expect(pending.status).toBe('pending');
    // Nothing in the outbox for it but the capture: no refund_failed, no refunded.
    const outbox = await h.container.prisma.outboxMessage.findMany({ where: { key: orderId }, orderBy: { id: 'asc' } });
    expect(outbox.map((o) => o.type)).toEqual(['payment.succeeded']);
    expect(typesFor(orderId)).toEqual(['payment.succeeded']);
  });
});
