// payment.refund with amount and refund_key (issue 13: a store's part cancelled after payment, a
// returned line) over real Kafka and PostgreSQL, in a schema of its own: a part refunded once per
// key across re-sends, the key echoed on payment.refunded / payment.refund_failed, a refused
// key tried anew, an amount clamped to what is left, nothing voided when nothing was captured.
import { randomUUID } from 'node:crypto';
import {
  createEnvelope,
  KafkaBus,
  OutboxRelay,
  topicName,
  Topics,
  unprocessable,
  type AnyEnvelope,
  type DomainError,
  type Subscription,
  subscribeConsumers,
} from '@sudamall/shared';
import { createTestTopics, eventually, testTopicPrefix } from '@sudamall/shared/testing';
import { COMMANDS_CONSUMER } from '../../src/app/handle-payment-command';
import type { RefundRequest, RefundResult } from '../../src/app/ports';
import { TestGateway } from '../../src/infra/gateways/test-gateway';
import { paymentCommandsConsumer } from '../../src/infra/payment-commands-consumer';
import { admin, buyer, CARDS, FakeOrders, startHarness, type Harness } from '../support/harness';
import { createOwnSchema } from '../support/own-schema';

const prefix = testTopicPrefix();
jest.setTimeout(150_000);

/** The test gateway, with refunds that can be refused per payment. */
class RefusingGateway extends TestGateway {
  readonly refundErrors = new Map<string, DomainError>();
  override async refund(req: RefundRequest): Promise<RefundResult> {
    const error = this.refundErrors.get(req.paymentId);
    if (error) throw error;
    return super.refund(req);
  }
}

describe('payment.refund with a refund_key (partial refunds, once per key)', () => {
  let h: Harness;
  let bus: KafkaBus;
  let relay: OutboxRelay;
  let consumer: Subscription;
  let eventsSub: Subscription;
  let schema: Awaited<ReturnType<typeof createOwnSchema>>;
  const orders = new FakeOrders();
  const gateway = new RefusingGateway();
  const seen: AnyEnvelope[] = [];
  const operator = admin('ops-refunds');

  beforeAll(async () => {
    schema = await createOwnSchema('keyed-refunds');
    h = await startHarness({ orders, gateways: [gateway], env: { KAFKA_TOPIC_PREFIX: prefix, DATABASE_URL: schema.databaseUrl } });
    bus = new KafkaBus({ brokers: h.config.KAFKA_BROKERS.split(','), clientId: 'payment-keyed-refunds-test', logger: h.container.logger });
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
    await eventsSub?.stop();
    await consumer?.stop();
    await relay?.stop();
    await bus?.disconnect();
    await h?.close();
    await schema?.drop();
  });

  const send = (envelope: AnyEnvelope) => bus.publish(topicName(prefix, Topics.paymentCommands), [envelope]);
  const eventsFor = (orderId: string) => seen.filter((e) => e.key === orderId);
  const answers = (orderId: string) =>
    eventsFor(orderId).map((e) => {
      const d = e.data as { amount?: string; refund_key?: string };
      return [e.type, d.amount ?? null, d.refund_key ?? null];
    });
  const row = (paymentId: string) => h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
  const refundsOf = (paymentId: string) => h.container.prisma.refund.findMany({ where: { paymentId }, orderBy: { createdAt: 'asc' } });
  const refund = (orderId: string, reason: string, part: { amount?: string; refund_key?: string }) =>
    createEnvelope('payment.refund', orderId, { order_id: orderId, reason, ...part });

  /** A test_gateway payment captured: 100.00 + 2.00 + 2.5 % = 104.50 charged. */
  async function paid(total = '100.00') {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: total });
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: 'test_gateway' },
    });
    expect(created.statusCode).toBe(201);
    const paymentId = created.json().payment_id as string;
    const processed = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: user.auth },
      payload: { payment_id: paymentId, card_number: CARDS.success },
    });
    expect(processed.json().payment.status).toBe('completed');
    await eventually(() => expect(eventsFor(order.orderId).map((e) => e.type)).toEqual(['payment.succeeded']), { timeoutMs: 45_000 });
    return { orderId: order.orderId, paymentId };
  }

  it('refunds exactly the part asked, answers with its key, and a re-send under the same key refunds nothing more; another key refunds again', async () => {
    const { orderId, paymentId } = await paid();
    const before = gateway.refundCount;
    await send(refund(orderId, 'fulfillment_cancelled', { amount: '30.25', refund_key: 'adj-store-a' }));
    await eventually(
      () =>
        expect(answers(orderId)).toEqual([
          ['payment.succeeded', '100.00', null],
          ['payment.refunded', '30.25', 'adj-store-a'],
        ]),
      { timeoutMs: 45_000 },
    );
    const [first] = await refundsOf(paymentId);
    expect(eventsFor(orderId)[1].data).toEqual({
      payment_id: paymentId,
      order_id: orderId,
      refund_id: first.refundId,
      amount: '30.25',
      reason: 'fulfillment_cancelled',
      refund_key: 'adj-store-a',
    });
    let p = await row(paymentId);
    expect([p.status, p.refundedAmount.toFixed(2), p.totalAmount.toFixed(2)]).toEqual(['partially_refunded', '30.25', '104.50']);

    // The saga re-sends (a new message id): the same answer, no second refund.
    await send(refund(orderId, 'fulfillment_cancelled', { amount: '30.25', refund_key: 'adj-store-a' }));
    await eventually(() => expect(answers(orderId)).toHaveLength(3), { timeoutMs: 45_000 });
    expect(eventsFor(orderId)[2].data).toEqual(eventsFor(orderId)[1].data);
    expect(await refundsOf(paymentId)).toHaveLength(1);

    // A return under its own key is another refund.
    await send(refund(orderId, 'return_approved', { amount: '10.00', refund_key: 'return-1' }));
    await eventually(() => expect(answers(orderId)[3]).toEqual(['payment.refunded', '10.00', 'return-1']), { timeoutMs: 45_000 });
    expect((await refundsOf(paymentId)).map((r) => [r.status, r.amount.toFixed(2), r.refundKey])).toEqual([
      ['completed', '30.25', 'adj-store-a'],
      ['completed', '10.00', 'return-1'],
    ]);
    p = await row(paymentId);
    expect([p.status, p.refundedAmount.toFixed(2)]).toEqual(['partially_refunded', '40.25']);
    expect(gateway.refundCount - before).toBe(2);

    // The admin views show the key; the REST payment what is still refundable.
    const one = await h.app.inject({ method: 'GET', url: `/api/v1/payments/refunds/${first.refundId}/`, headers: { authorization: operator.auth } });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ refund_id: first.refundId, amount: '30.25', status: 'completed', refund_key: 'adj-store-a', requested_by: 'saga' });
    const list = await h.app.inject({ method: 'GET', url: `/api/v1/payments/refunds/?payment_id=${paymentId}`, headers: { authorization: operator.auth } });
    expect(list.statusCode).toBe(200);
    expect((list.json().items as Array<{ refund_key: string | null }>).map((r) => r.refund_key).sort()).toEqual(['adj-store-a', 'return-1']);
    const detail = await h.app.inject({ method: 'GET', url: `/api/v1/payments/detail/${paymentId}/`, headers: { authorization: operator.auth } });
    expect(detail.json()).toMatchObject({ refunded_amount: '40.25', refundable_amount: '64.25', status: 'partially_refunded' });

    // The checkout saga's unkeyed refund still takes everything that is left.
    await send(refund(orderId, 'order_cancelled', {}));
    await eventually(() => expect(answers(orderId)[4]).toEqual(['payment.refunded', '64.25', null]), { timeoutMs: 45_000 });
    expect((await refundsOf(paymentId))[2].refundKey).toBeNull();
    p = await row(paymentId);
    expect([p.status, p.refundedAmount.toFixed(2)]).toEqual(['refunded', '104.50']);
  });

  it('two commands with one key at once reserve one refund', async () => {
    const { orderId, paymentId } = await paid('50.00');
    const a = refund(orderId, 'fulfillment_cancelled', { amount: '12.00', refund_key: 'adj-race' });
    const b = refund(orderId, 'fulfillment_cancelled', { amount: '12.00', refund_key: 'adj-race' });
    const effects = await Promise.all([h.container.useCases.handlePaymentCommand.execute(a), h.container.useCases.handlePaymentCommand.execute(b)]);
    expect(effects.map((e) => e.kind).sort()).toEqual(['nothing', 'refund_reserved']);
    await eventually(
      () =>
        expect(answers(orderId)).toEqual([
          ['payment.succeeded', '50.00', null],
          ['payment.refunded', '12.00', 'adj-race'],
        ]),
      { timeoutMs: 45_000 },
    );
    expect((await refundsOf(paymentId)).map((r) => [r.status, r.amount.toFixed(2)])).toEqual([['completed', '12.00']]);
    expect((await row(paymentId)).refundedAmount.toFixed(2)).toBe('12.00');
    // And the database holds the line on its own: one refund per payment and key that is not failed.
    const [done] = await refundsOf(paymentId);
    await expect(
      h.container.prisma.refund.create({
        data: { refundId: randomUUID(), paymentId, amount: '1.00', reason: 'x', requestedBy: 'saga', refundKey: 'adj-race', status: 'pending' },
      }),
    ).rejects.toThrow(/unique/i);
    expect(done.refundKey).toBe('adj-race');
  });

  it('a key the gateway refused answers payment.refund_failed with the key; the same key re-sent is a new attempt', async () => {
    const { orderId, paymentId } = await paid('20.00');
    gateway.refundErrors.set(paymentId, unprocessable('CHARGE_DISPUTED', 'the charge is disputed'));
    await send(refund(orderId, 'return_approved', { amount: '5.00', refund_key: 'return-7' }));
    await eventually(
      () =>
        expect(answers(orderId)).toEqual([
          ['payment.succeeded', '20.00', null],
          ['payment.refund_failed', '5.00', 'return-7'],
        ]),
      { timeoutMs: 45_000 },
    );
    const [failed] = await refundsOf(paymentId);
    expect(eventsFor(orderId)[1].data).toEqual({
      payment_id: paymentId,
      order_id: orderId,
      refund_id: failed.refundId,
      amount: '5.00',
      reason: 'CHARGE_DISPUTED',
      refund_key: 'return-7',
    });
    let p = await row(paymentId);
    expect([p.status, p.refundedAmount.toFixed(2)]).toEqual(['completed', '0.00']);

    gateway.refundErrors.delete(paymentId);
    await send(refund(orderId, 'return_approved', { amount: '5.00', refund_key: 'return-7' }));
    await eventually(() => expect(answers(orderId)[2]).toEqual(['payment.refunded', '5.00', 'return-7']), { timeoutMs: 45_000 });
    const refunds = await refundsOf(paymentId);
    expect(refunds.map((r) => [r.status, r.refundKey])).toEqual([
      ['failed', 'return-7'],
      ['completed', 'return-7'],
    ]);
    expect((eventsFor(orderId)[2].data as { refund_id: string }).refund_id).toBe(refunds[1].refundId);
    p = await row(paymentId);
    expect([p.status, p.refundedAmount.toFixed(2)]).toEqual(['partially_refunded', '5.00']);
  });

  it('an amount above what is left is clamped to it: never more than was captured', async () => {
    const { orderId, paymentId } = await paid('10.00'); // 10.00 + 2.00 + 0.25 = 12.25 charged
    await send(refund(orderId, 'fulfillment_cancelled', { amount: '8.00', refund_key: 'adj-1' }));
    await eventually(() => expect(answers(orderId)[1]).toEqual(['payment.refunded', '8.00', 'adj-1']), { timeoutMs: 45_000 });
    await send(refund(orderId, 'fulfillment_cancelled', { amount: '8.00', refund_key: 'adj-2' }));
    await eventually(() => expect(answers(orderId)[2]).toEqual(['payment.refunded', '4.25', 'adj-2']), { timeoutMs: 45_000 });
    const p = await row(paymentId);
    expect([p.status, p.refundedAmount.toFixed(2)]).toEqual(['refunded', '12.25']);
    // Nothing left at all: answered with 0.00, nothing reserved.
    await send(refund(orderId, 'return_approved', { amount: '1.00', refund_key: 'return-late' }));
    await eventually(() => expect(answers(orderId)[3]).toEqual(['payment.refunded', '0.00', 'return-late']), { timeoutMs: 45_000 });
    expect(await refundsOf(paymentId)).toHaveLength(2);
  });

  it('with nothing captured (cash not collected) answers 0.00 with the key and voids nothing', async () => {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: '40.00' });
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: 'cash_on_delivery' },
    });
    const paymentId = created.json().payment_id as string;
    await h.app.inject({ method: 'POST', url: '/api/v1/payments/process/', headers: { authorization: user.auth }, payload: { payment_id: paymentId } });
    await send(refund(order.orderId, 'fulfillment_cancelled', { amount: '15.00', refund_key: 'adj-cod' }));
    await eventually(
      () =>
        expect(answers(order.orderId)).toEqual([
          ['payment.succeeded', '40.00', null],
          ['payment.refunded', '0.00', 'adj-cod'],
        ]),
      { timeoutMs: 45_000 },
    );
    expect(eventsFor(order.orderId)[1].data).toEqual({
      payment_id: paymentId,
      order_id: order.orderId,
      refund_id: '',
      amount: '0.00',
      reason: 'fulfillment_cancelled',
      refund_key: 'adj-cod',
    });
    const p = await row(paymentId);
    // Still to be collected for the other stores' parts.
    expect([p.status, (p.metadata as { awaiting_collection?: boolean }).awaiting_collection]).toEqual(['pending', true]);
    expect(await refundsOf(paymentId)).toHaveLength(0);
  });

  it('a malformed amount is refused as invalid before anything is claimed (the bus parks it)', async () => {
    const { orderId, paymentId } = await paid('9.00');
    const bad = refund(orderId, 'fulfillment_cancelled', { amount: '-3.00', refund_key: 'adj-bad' });
    await expect(h.container.useCases.handlePaymentCommand.execute(bad)).rejects.toMatchObject({ kind: 'invalid', code: 'INVALID_REFUND_AMOUNT' });
    const noKey = refund(orderId, 'fulfillment_cancelled', { amount: '3.00' });
    await expect(h.container.useCases.handlePaymentCommand.execute(noKey)).rejects.toMatchObject({ kind: 'invalid', code: 'REFUND_KEY_REQUIRED' });
    expect(await h.container.prisma.inboxMessage.count({ where: { consumer: COMMANDS_CONSUMER, eventId: { in: [bad.id, noKey.id] } } })).toBe(0);
    expect(await refundsOf(paymentId)).toHaveLength(0);
  });
});
