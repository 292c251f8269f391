// payment.commands from the order saga over real Kafka, and payment.events out through the
// outbox relay, in a schema of its own (see support/own-schema.ts).
import { randomUUID } from 'node:crypto';
import { createEnvelope, KafkaBus, OutboxRelay, topicName, Topics, type AnyEnvelope, type Subscription, subscribeConsumers } from '@sudamall/shared';
import { createTestTopics, eventually, testTopicPrefix } from '@sudamall/shared/testing';
import { TestGateway } from '../../src/infra/gateways/test-gateway';
import { paymentCommandsConsumer } from '../../src/infra/payment-commands-consumer';
import { buyer, CARDS, FakeOrders, startHarness, type Harness } from '../support/harness';
import { createOwnSchema } from '../support/own-schema';

const prefix = testTopicPrefix();
// Consumer groups can take a while to join on a loaded 2-core machine.
jest.setTimeout(120_000);

describe('saga commands (payment.void, payment.refund) and events', () => {
  let h: Harness;
  let bus: KafkaBus;
  let relay: OutboxRelay;
  let consumer: Subscription;
  let eventsSub: Subscription;
  const orders = new FakeOrders();
  const seen: AnyEnvelope[] = [];
  let schema: Awaited<ReturnType<typeof createOwnSchema>>;

  beforeAll(async () => {
    schema = await createOwnSchema('saga');
    h = await startHarness({ orders, gateways: [new TestGateway()], env: { KAFKA_TOPIC_PREFIX: prefix, DATABASE_URL: schema.databaseUrl } });
    bus = new KafkaBus({ brokers: h.config.KAFKA_BROKERS.split(','), clientId: 'payment-saga-test', logger: h.container.logger });
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

  const sendCommand = async (envelope: AnyEnvelope) => bus.publish(topicName(prefix, Topics.paymentCommands), [envelope]);
  const eventsFor = (orderId: string) => seen.filter((e) => e.key === orderId);

  async function payment(total: string, card?: string) {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: total });
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: 'test_gateway' },
    });
    const paymentId = created.json().payment_id as string;
    if (card) {
      await h.app.inject({
        method: 'POST',
        url: '/api/v1/payments/process/',
        headers: { authorization: user.auth },
        payload: { payment_id: paymentId, card_number: card },
      });
    }
    return { user, order, paymentId };
  }

  it('payment.refund refunds everything the buyer paid (fee included) and emits payment.refunded; a redelivery changes nothing', async () => {
    const { order, paymentId } = await payment('60.00', CARDS.success);
    await eventually(() => expect(eventsFor(order.orderId).map((e) => e.type)).toEqual(['payment.succeeded']), { timeoutMs: 45000 });

    const command = createEnvelope('payment.refund', order.orderId, { order_id: order.orderId, reason: 'order_cancelled' });
    await sendCommand(command);
    await eventually(() => expect(eventsFor(order.orderId).map((e) => e.type)).toEqual(['payment.succeeded', 'payment.refunded']), { timeoutMs: 45000 });
    const refunded = eventsFor(order.orderId)[1];
    // 60.00 + 2.00 + 2.5 % = 63.50 charged: the platform cancelled the order, so the fee goes back too.
    expect(refunded.data).toMatchObject({ payment_id: paymentId, order_id: order.orderId, amount: '63.50', reason: 'order_cancelled' });

    await sendCommand(command); // the same message again (at-least-once delivery)
    const after = createEnvelope('payment.void', order.orderId, { order_id: order.orderId, reason: 'marker' });
    await sendCommand(after); // a later command on the same partition: once it is handled, the duplicate was too
    await eventually(
      async () => {
        const inbox = await h.container.prisma.inboxMessage.count({ where: { eventId: after.id } });
        expect(inbox).toBe(1);
      },
      { timeoutMs: 45000 },
    );
    const refunds = await h.container.prisma.refund.findMany({ where: { paymentId } });
    expect(refunds.map((r) => [r.status, r.amount.toFixed(2)])).toEqual([['completed', '63.50']]);
    const row = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
    expect(row.status).toBe('refunded');
  });

  it('payment.void on the payment deadline expires a pending payment (payment.voided); with no payment it answers payment_id null', async () => {
    const { order, paymentId } = await payment('15.00');
    await sendCommand(createEnvelope('payment.void', order.orderId, { order_id: order.orderId, reason: 'payment_timeout' }));
    await eventually(
      () =>
        expect(eventsFor(order.orderId).map((e) => [e.type, (e.data as { payment_id: string | null }).payment_id])).toEqual([['payment.voided', paymentId]]),
      {
        timeoutMs: 45000,
      },
    );
    const row = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
    expect([row.status, row.failureReason]).toEqual(['expired', 'payment_timeout']);

    const orphan = randomUUID();
    await sendCommand(createEnvelope('payment.void', orphan, { order_id: orphan, reason: 'payment_timeout' }));
    await eventually(
      () => expect(eventsFor(orphan).map((e) => [e.type, (e.data as { payment_id: string | null }).payment_id])).toEqual([['payment.voided', null]]),
      {
        timeoutMs: 45000,
      },
    );
  });

  it('a charge that succeeds after the order was cancelled is refunded by the saga’s payment.refund', async () => {
    const { order, paymentId } = await payment('33.30');
    const uc = h.container.useCaseDeps;
    // A charge in flight when the deadline passes: void finds nothing it may cancel...
    const claim = await uc.charges.claimForProcessing({ paymentId, staleAfterSeconds: 60, cardLast4: '4242' });
    expect(claim).not.toBeNull();
    const voidCommand = createEnvelope('payment.void', order.orderId, { order_id: order.orderId, reason: 'payment_timeout' });
    await sendCommand(voidCommand);
    await eventually(async () => expect(await h.container.prisma.inboxMessage.count({ where: { eventId: voidCommand.id } })).toBe(1), { timeoutMs: 45000 });
    expect((await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } })).status).toBe('processing');
    // ...then the gateway answers: captured.
    await uc.charges.recordChargeOutcome(paymentId, claim!.attemptNumber, { status: 'succeeded', transactionId: 'test_txn_late', raw: {} });
    await eventually(() => expect(eventsFor(order.orderId).map((e) => e.type)).toEqual(['payment.succeeded']), { timeoutMs: 45000 });
    // The order service, seeing payment.succeeded on a cancelled order, sends payment.refund.
    await sendCommand(createEnvelope('payment.refund', order.orderId, { order_id: order.orderId, reason: 'paid_after_cancellation' }));
    await eventually(() => expect(eventsFor(order.orderId).map((e) => e.type)).toEqual(['payment.succeeded', 'payment.refunded']), { timeoutMs: 45000 });
    const row = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
    expect([row.status, row.refundedAmount.toFixed(2), row.totalAmount.toFixed(2)]).toEqual(['refunded', '36.13', '36.13']);
  });

  it('answers every payment.refund with payment.refunded: a retry after the refund, an uncollected cash payment, no payment', async () => {
    const types = (orderId: string) => eventsFor(orderId).map((e) => [e.type, (e.data as { amount?: string }).amount ?? null]);

    // The saga retries under a new message id: the refund is not repeated, the answer is.
    const { order, paymentId } = await payment('21.00', CARDS.success);
    await sendCommand(createEnvelope('payment.refund', order.orderId, { order_id: order.orderId, reason: 'order_cancelled' }));
    await eventually(
      () =>
        expect(types(order.orderId)).toEqual([
          ['payment.succeeded', '21.00'],
          ['payment.refunded', '23.53'],
        ]),
      { timeoutMs: 45000 },
    );
    await sendCommand(createEnvelope('payment.refund', order.orderId, { order_id: order.orderId, reason: 'order_cancelled' }));
    await eventually(() => expect(types(order.orderId)).toHaveLength(3), { timeoutMs: 45000 });
    const [, first, again] = eventsFor(order.orderId);
    expect(again.data).toEqual(first.data);
    expect(await h.container.prisma.refund.count({ where: { paymentId } })).toBe(1);

    // Cash on delivery, not collected: the payment is cancelled and nothing was refunded.
    const user = buyer();
    const cod = orders.add({ userId: user.id, totalAmount: '40.00' });
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: cod.orderId, gateway: 'cash_on_delivery' },
    });
    await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: user.auth },
      payload: { payment_id: created.json().payment_id },
    });
    await sendCommand(createEnvelope('payment.refund', cod.orderId, { order_id: cod.orderId, reason: 'order_cancelled' }));
    await eventually(
      () =>
        expect(types(cod.orderId)).toEqual([
          ['payment.succeeded', '40.00'],
          ['payment.voided', null],
          ['payment.refunded', '0.00'],
        ]),
      { timeoutMs: 45000 },
    );
    expect((await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId: created.json().payment_id } })).status).toBe('cancelled');

    // No payment at all.
    const none = randomUUID();
    await sendCommand(createEnvelope('payment.refund', none, { order_id: none, reason: 'order_cancelled' }));
    await eventually(() => expect(types(none)).toEqual([['payment.refunded', '0.00']]), { timeoutMs: 45000 });
  });

  it('skips a malformed command instead of blocking the partition', async () => {
    const { order, paymentId } = await payment('5.00');
    const bad = { ...createEnvelope('payment.void', order.orderId, { order_id: order.orderId, reason: 'x' }), data: { nope: true } } as unknown as AnyEnvelope;
    await sendCommand(bad);
    await sendCommand(createEnvelope('payment.void', order.orderId, { order_id: order.orderId, reason: 'after_bad' }));
    await eventually(() => expect(eventsFor(order.orderId).map((e) => e.type)).toEqual(['payment.voided']), { timeoutMs: 45000 });
    const row = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });
    expect(row.failureReason).toBe('after_bad');
  });
});
