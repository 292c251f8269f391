// No long call inside a Kafka handler (issue 12, item 13): payment.refund commands over real
// Kafka while the gateway takes 30 s to answer each refund, three times the consumer group's
// 10 s session. The handler records the refund and returns; the refund worker waits for the
// gateway outside the consumer loop. Proven on the real kafkajs consumer's own events: the
// group joins once and never rebalances, later commands on the same partitions are handled at
// once, and every order is refunded exactly once.
import type { Consumer, Kafka } from 'kafkajs';
import { consumerGroupName, createEnvelope, KafkaBus, topicName, Topics, type AnyEnvelope, type Subscription, subscribeConsumers } from '@sudamall/shared';
import { createTestTopics, eventually, testTopicPrefix } from '@sudamall/shared/testing';
import type { RefundRequest, RefundResult } from '../../src/app/ports';
import { TestGateway } from '../../src/infra/gateways/test-gateway';
import { paymentCommandsConsumer } from '../../src/infra/payment-commands-consumer';
import { buyer, CARDS, FakeOrders, startHarness, type Harness } from '../support/harness';
import { createOwnSchema } from '../support/own-schema';

const GATEWAY_DELAY_MS = 30_000;
const GROUP_JOIN = 'consumer.group_join'; // kafkajs consumer.events.GROUP_JOIN
const prefix = testTopicPrefix();
jest.setTimeout(180_000);

/** The test gateway with a slow refund endpoint (the delay is the test's, injected here). */
class SlowRefundGateway extends TestGateway {
  readonly refundCalls: string[] = [];
  refundsInFlight = 0;
  constructor(private readonly delayMs: number) {
    super();
  }
  override async refund(req: RefundRequest): Promise<RefundResult> {
    this.refundCalls.push(req.idempotencyKey);
    this.refundsInFlight += 1;
    try {
      await new Promise((r) => setTimeout(r, this.delayMs));
      return await super.refund(req);
    } finally {
      this.refundsInFlight -= 1;
    }
  }
}

describe('a slow gateway does not stall or rebalance the payment.commands consumer', () => {
  let h: Harness;
  let bus: KafkaBus;
  let consumer: Subscription;
  let schema: Awaited<ReturnType<typeof createOwnSchema>>;
  const orders = new FakeOrders();
  const gateway = new SlowRefundGateway(GATEWAY_DELAY_MS);
  const groupId = consumerGroupName(prefix, 'payment-service');
  const groupEvents: Array<{ type: string; at: number }> = [];

  beforeAll(async () => {
    schema = await createOwnSchema('slow-gateway');
    h = await startHarness({ orders, gateways: [gateway], env: { KAFKA_TOPIC_PREFIX: prefix, DATABASE_URL: schema.databaseUrl } });
    bus = new KafkaBus({ brokers: h.config.KAFKA_BROKERS.split(','), clientId: 'payment-slow-gateway-test', logger: h.container.logger });
    await createTestTopics(bus, prefix);
    await bus.connect();
    // Listen to the kafkajs consumer the bus creates for this group: its own join/rebalance events.
    const kafka = (bus as unknown as { kafka: Kafka }).kafka;
    const create = kafka.consumer.bind(kafka);
    kafka.consumer = (config) => {
      const c: Consumer = create(config);
      if (config?.groupId === groupId) {
        for (const type of [c.events.GROUP_JOIN, c.events.REBALANCING, c.events.CRASH, c.events.STOP]) {
          c.on(type, () => groupEvents.push({ type, at: Date.now() }));
        }
      }
      return c;
    };
    [consumer] = await subscribeConsumers(bus, [paymentCommandsConsumer(h.container.useCases, h.container.logger)], prefix);
    await eventually(() => expect(groupEvents.map((e) => e.type)).toContain(GROUP_JOIN), { timeoutMs: 60_000 });
  });

  afterAll(async () => {
    await consumer?.stop();
    await bus?.disconnect();
    await h?.close();
    await schema?.drop();
  });

  const send = (envelope: AnyEnvelope) => bus.publish(topicName(prefix, Topics.paymentCommands), [envelope]);
  const inboxHas = async (eventId: string) => (await h.container.prisma.inboxMessage.count({ where: { eventId } })) === 1;

  async function paid(total: string) {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: total });
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: 'test_gateway' },
    });
    const paymentId = created.json().payment_id as string;
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: user.auth },
      payload: { payment_id: paymentId, card_number: CARDS.success },
    });
    expect(res.json().payment.status).toBe('completed');
    return { orderId: order.orderId, paymentId };
  }

  it('records each refund at once, sends it outside the handler, and refunds every order exactly once', async () => {
    const paidOrders = await Promise.all(['30.00', '31.00', '32.00', '33.00'].map(paid));
    const joinsBefore = groupEvents.filter((e) => e.type === GROUP_JOIN).length;
    const refunds = paidOrders.map((o) => createEnvelope('payment.refund', o.orderId, { order_id: o.orderId, reason: 'order_cancelled' }));
    // After each refund, a command for the same order (same key, same partition): handled only
    // once the refund's handler has returned.
    const markers = paidOrders.map((o) => createEnvelope('payment.void', o.orderId, { order_id: o.orderId, reason: 'marker' }));
    const sentAt = Date.now();
    for (let i = 0; i < refunds.length; i++) await send(refunds[i]);
    for (const m of markers) await send(m);

    // Every command handled long before the gateway answers a single refund.
    await eventually(
      async () => {
        for (const m of markers) expect(await inboxHas(m.id)).toBe(true);
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    const handledWithin = Date.now() - sentAt;
    expect(handledWithin).toBeLessThan(GATEWAY_DELAY_MS);
    const pending = await h.container.prisma.refund.findMany({ where: { paymentId: { in: paidOrders.map((o) => o.paymentId) } } });
    expect(pending.map((r) => r.status)).toEqual(['pending', 'pending', 'pending', 'pending']);
    expect(gateway.refundsInFlight).toBe(4); // the worker is waiting for the gateway, the consumer is not

    // A redelivered command meanwhile (at-least-once) changes nothing.
    await send(refunds[0]);

    await eventually(
      async () => {
        const rows = await h.container.prisma.refund.findMany({ where: { paymentId: { in: paidOrders.map((o) => o.paymentId) } } });
        expect(rows.map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
      },
      { timeoutMs: GATEWAY_DELAY_MS + 30_000, intervalMs: 500 },
    );

    // Past three session timeouts with a call in flight: the member never left the group.
    expect(Date.now() - sentAt).toBeGreaterThan(GATEWAY_DELAY_MS);
    expect(groupEvents.filter((e) => e.at >= sentAt).map((e) => e.type)).toEqual([]);
    expect(groupEvents.filter((e) => e.type === GROUP_JOIN)).toHaveLength(joinsBefore);

    // Once each: one gateway refund per order, one payment.refunded per order, all of it back.
    expect(gateway.refundCount).toBe(4);
    expect(new Set(gateway.refundCalls).size).toBe(gateway.refundCalls.length);
    for (const o of paidOrders) {
      const rows = await h.container.prisma.refund.findMany({ where: { paymentId: o.paymentId } });
      expect(rows.map((r) => r.attemptCount)).toEqual([1]);
      const p = await h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId: o.paymentId } });
      expect([p.status, p.refundedAmount.toFixed(2)]).toEqual(['refunded', p.totalAmount.toFixed(2)]);
      expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.refunded', key: o.orderId } })).toBe(1);
    }
  });
});
