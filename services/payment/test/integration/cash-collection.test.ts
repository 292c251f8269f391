// payment.collect (issue 13: cash on delivery collected store by store in the order service, which
// then asks payment to complete the order's cash payment for what the stores took) over real
// Kafka and PostgreSQL, on the container's own bus (which parks into parked_messages), in a schema
// of its own: all of it collected, less (a store's delivery refused), a re-send, an amount above
// the total parked, payments that are not awaiting collection left alone; and payment.void still
// cancelling an uncollected cash payment (a whole order cancelled before delivery).
import { createEnvelope, topicName, Topics, type AnyEnvelope, type Subscription, subscribeConsumers } from '@sudamall/shared';
import { createTestTopics, eventually, testTopicPrefix } from '@sudamall/shared/testing';
import { COMMANDS_CONSUMER } from '../../src/app/handle-payment-command';
import { TestGateway } from '../../src/infra/gateways/test-gateway';
import { paymentCommandsConsumer } from '../../src/infra/payment-commands-consumer';
import { admin, buyer, CARDS, FakeOrders, startHarness, type Harness } from '../support/harness';
import { createOwnSchema } from '../support/own-schema';

const prefix = testTopicPrefix();
jest.setTimeout(150_000);

describe('payment.collect (cash on delivery collected by the stores)', () => {
  let h: Harness;
  let consumer: Subscription;
  let schema: Awaited<ReturnType<typeof createOwnSchema>>;
  const orders = new FakeOrders();
  const operator = admin('ops-collect');

  beforeAll(async () => {
    schema = await createOwnSchema('collect');
    h = await startHarness({
      orders,
      gateways: [new TestGateway()],
      env: { KAFKA_TOPIC_PREFIX: prefix, DATABASE_URL: schema.databaseUrl, KAFKA_MAX_ATTEMPTS: '2' },
    });
    await createTestTopics(h.container.bus, prefix);
    [consumer] = await subscribeConsumers(h.container.bus, [paymentCommandsConsumer(h.container.useCases, h.container.logger)], prefix);
  });

  afterAll(async () => {
    await consumer?.stop();
    await h?.close();
    await schema?.drop();
  });

  const send = (envelope: AnyEnvelope) => h.container.bus.publish(topicName(prefix, Topics.paymentCommands), [envelope]);
  const collect = (orderId: string, amount: string) => createEnvelope('payment.collect', orderId, { order_id: orderId, amount });
  const row = (paymentId: string) => h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
  const claimed = (id: string) => h.container.prisma.inboxMessage.count({ where: { consumer: COMMANDS_CONSUMER, eventId: id } });
  const outboxTypes = async (orderId: string) =>
    (await h.container.prisma.outboxMessage.findMany({ where: { key: orderId }, orderBy: { id: 'asc' } })).map((m) => m.type);
  const money = (p: { amount: { toFixed(n: number): string }; gatewayFee: { toFixed(n: number): string }; totalAmount: { toFixed(n: number): string } }) => [
    p.amount.toFixed(2),
    p.gatewayFee.toFixed(2),
    p.totalAmount.toFixed(2),
  ];

  /** A cash-on-delivery payment the buyer processed: pending, awaiting collection, payment.succeeded sent. */
  async function awaitingCollection(total: string) {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: total, storeIds: ['store-a', 'store-b'] });
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: 'cash_on_delivery' },
    });
    expect(created.statusCode).toBe(201);
    const paymentId = created.json().payment_id as string;
    const processed = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: user.auth },
      payload: { payment_id: paymentId },
    });
    expect(processed.json()).toMatchObject({ outcome: 'awaiting_collection', payment: { status: 'pending' } });
    return { orderId: order.orderId, paymentId, user };
  }

  it('completes the payment when the stores collected all of it, as collect/ does; a re-sent command changes nothing', async () => {
    const { orderId, paymentId } = await awaitingCollection('80.00');
    const command = collect(orderId, '80.00');
    await send(command);
    await eventually(async () => expect((await row(paymentId)).status).toBe('completed'), { timeoutMs: 45_000 });
    const p = await row(paymentId);
    expect(money(p)).toEqual(['80.00', '0.00', '80.00']);
    expect(p.gatewayTransactionId).toBe(`cod_${paymentId}`);
    expect(p.metadata).toMatchObject({ awaiting_collection: false, collected_by: 'stores', collected_by_event: command.id });
    expect(p.metadata).not.toHaveProperty('ordered_total_amount');
    expect((await h.container.prisma.paymentAttempt.findMany({ where: { paymentId } })).map((a) => a.status)).toEqual(['succeeded']);
    // payment.succeeded went out when the buyer chose cash on delivery: nothing new now.
    expect(await outboxTypes(orderId)).toEqual(['payment.succeeded']);

    // The order service re-sends (a new message id): claimed, nothing changes.
    const again = collect(orderId, '80.00');
    await send(again);
    await eventually(async () => expect(await claimed(again.id)).toBe(1), { timeoutMs: 45_000 });
    const after = await row(paymentId);
    expect([after.status, after.updatedAt, after.metadata]).toEqual([p.status, p.updatedAt, p.metadata]);
    expect(await outboxTypes(orderId)).toEqual(['payment.succeeded']);
    // And the same message delivered twice is a duplicate.
    expect(await h.container.useCases.handlePaymentCommand.execute(again)).toEqual({ kind: 'duplicate' });
  });

  it("completes it for what was collected when a store's delivery was refused, the ordered total kept; refunds stay within it", async () => {
    const { orderId, paymentId } = await awaitingCollection('80.00');
    // The refused store's part was cancelled first: its keyed refund answered 0.00 (nothing captured).
    await h.container.useCases.handlePaymentCommand.execute(
      createEnvelope('payment.refund', orderId, { order_id: orderId, reason: 'fulfillment_cancelled', amount: '24.75', refund_key: 'adj-refused' }),
    );
    expect((await row(paymentId)).status).toBe('pending');

    const effect = await h.container.useCases.handlePaymentCommand.execute(collect(orderId, '55.25'));
    expect(effect).toMatchObject({ kind: 'collected', orderedTotalAmount: '80.00', payment: { status: 'completed', amount: '55.25', totalAmount: '55.25' } });
    const p = await row(paymentId);
    expect([p.status, ...money(p), p.refundedAmount.toFixed(2)]).toEqual(['completed', '55.25', '0.00', '55.25', '0.00']);
    expect(p.metadata).toMatchObject({
      awaiting_collection: false,
      collected_by: 'stores',
      ordered_amount: '80.00',
      ordered_gateway_fee: '0.00',
      ordered_total_amount: '80.00',
    });
    expect(await outboxTypes(orderId)).toEqual(['payment.succeeded', 'payment.refunded']);

    // What can be refunded is what was collected, not what was ordered.
    const detail = await h.app.inject({ method: 'GET', url: `/api/v1/payments/detail/${paymentId}/`, headers: { authorization: operator.auth } });
    expect(detail.json()).toMatchObject({ status: 'completed', total_amount: '55.25', refundable_amount: '55.25' });
    const tooMuch = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/refunds/create/',
      headers: { authorization: operator.auth },
      payload: { payment_id: paymentId, amount: '55.26', reason: 'x' },
    });
    expect(tooMuch.statusCode).toBe(409);
    expect(tooMuch.json().error.code).toBe('REFUND_EXCEEDS_REMAINING');
  });

  it("an admin's collect/ and the order's payment.collect at once: one completes it, the other changes nothing", async () => {
    const { orderId, paymentId } = await awaitingCollection('50.00');
    const [byHand, effect] = await Promise.all([
      h.app.inject({ method: 'POST', url: `/api/v1/payments/${paymentId}/collect/`, headers: { authorization: operator.auth } }),
      h.container.useCases.handlePaymentCommand.execute(collect(orderId, '35.00')),
    ]);
    const p = await row(paymentId);
    expect(p.status).toBe('completed');
    if (effect.kind === 'collected') {
      // The command took the row lock first: the admin finds nothing left to collect.
      expect([byHand.statusCode, byHand.json().error?.code]).toEqual([409, 'PAYMENT_NOT_COLLECTABLE']);
      expect([...money(p), (p.metadata as { collected_by?: string }).collected_by]).toEqual(['35.00', '0.00', '35.00', 'stores']);
    } else {
      expect(byHand.statusCode).toBe(200);
      expect(effect).toMatchObject({ kind: 'nothing', reason: expect.stringMatching(/^collected before/) });
      expect([...money(p), (p.metadata as { collected_by?: string }).collected_by]).toEqual(['50.00', '0.00', '50.00', operator.id]);
    }
    expect(await outboxTypes(orderId)).toEqual(['payment.succeeded']);
  });

  it("parks an amount above the payment's total (a sender bug): nothing is claimed or changed", async () => {
    const { orderId, paymentId } = await awaitingCollection('30.00');
    const command = collect(orderId, '30.01');
    await send(command);
    const item = await eventually(
      async () => {
        const found = await h.container.prisma.parkedMessage.findFirst({ where: { key: orderId, status: 'parked' } });
        expect(found).not.toBeNull();
        return found!;
      },
      { timeoutMs: 60_000 },
    );
    expect(item).toMatchObject({
      eventId: command.id,
      eventType: 'payment.collect',
      error: { class: 'deterministic', kind: 'invalid', code: 'INVALID_COLLECT_AMOUNT' },
      attempts: 2,
    });
    expect(await claimed(command.id)).toBe(0);
    const p = await row(paymentId);
    expect([p.status, (p.metadata as { awaiting_collection?: boolean }).awaiting_collection, ...money(p)]).toEqual(['pending', true, '30.00', '0.00', '30.00']);
    // A malformed amount is refused before anything is claimed too.
    for (const amount of ['0.00', '-5.00', 'all']) {
      const bad = collect(orderId, amount);
      await expect(h.container.useCases.handlePaymentCommand.execute(bad)).rejects.toMatchObject({ kind: 'invalid', code: 'INVALID_COLLECT_AMOUNT' });
      expect(await claimed(bad.id)).toBe(0);
    }
  });

  it('leaves alone a payment that is not awaiting collection: a card payment, cash an admin collected by hand, no payment', async () => {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: '20.00' });
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: 'test_gateway' },
    });
    const cardId = created.json().payment_id as string;
    await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: user.auth },
      payload: { payment_id: cardId, card_number: CARDS.success },
    });
    const card = await row(cardId);
    expect(card.status).toBe('completed');
    expect(await h.container.useCases.handlePaymentCommand.execute(collect(order.orderId, '10.00'))).toEqual({
      kind: 'nothing',
      reason: 'no cash payment awaiting collection (not_cash_on_delivery)',
    });
    expect(await row(cardId)).toEqual(card);

    const { orderId, paymentId } = await awaitingCollection('45.00');
    const byHand = await h.app.inject({ method: 'POST', url: `/api/v1/payments/${paymentId}/collect/`, headers: { authorization: operator.auth } });
    expect(byHand.statusCode).toBe(200);
    const collected = await row(paymentId);
    // The stores' figure arrives afterwards (even a different one): what the admin recorded stands.
    expect(await h.container.useCases.handlePaymentCommand.execute(collect(orderId, '40.00'))).toMatchObject({
      kind: 'nothing',
      reason: expect.stringMatching(/^collected before/),
    });
    expect(await row(paymentId)).toEqual(collected);
    expect(collected.metadata).toMatchObject({ collected_by: operator.id });

    const none = orders.add({ userId: user.id, totalAmount: '5.00' }).orderId;
    expect(await h.container.useCases.handlePaymentCommand.execute(collect(none, '5.00'))).toEqual({
      kind: 'nothing',
      reason: 'no cash payment awaiting collection (no_payment)',
    });
  });

  it('payment.void (a whole order cancelled before delivery, after its keyed refund) cancels the uncollected cash; a later collect changes nothing', async () => {
    const { orderId, paymentId } = await awaitingCollection('60.00');
    await send(createEnvelope('payment.refund', orderId, { order_id: orderId, reason: 'order_cancelled', amount: '60.00', refund_key: 'adj-whole' }));
    await send(createEnvelope('payment.void', orderId, { order_id: orderId, reason: 'order_cancelled' }));
    await eventually(async () => expect((await row(paymentId)).status).toBe('cancelled'), { timeoutMs: 45_000 });
    expect(await outboxTypes(orderId)).toEqual(['payment.succeeded', 'payment.refunded', 'payment.voided']);
    const voided = await h.container.prisma.outboxMessage.findFirstOrThrow({ where: { key: orderId, type: 'payment.voided' } });
    expect((voided.payload as { data: unknown }).data).toEqual({ payment_id: paymentId, order_id: orderId, reason: 'order_cancelled' });
    const p = await row(paymentId);
    expect(p.failureReason).toBe('order_cancelled');

    expect(await h.container.useCases.handlePaymentCommand.execute(collect(orderId, '60.00'))).toEqual({
      kind: 'nothing',
      reason: 'no cash payment awaiting collection (not_awaiting_collection)',
    });
    expect((await row(paymentId)).status).toBe('cancelled');
  });
});
