// /ws/payments/{payment_id}/ with a real WebSocket client: payments created and processed over
// REST, their events out through the outbox relay to Kafka (own schema and topic prefix), and
// the live feed reading payment.events with its own consumer group, as main.ts wires it.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { KafkaBus, LiveCloseCode, LiveHub, OutboxRelay, type LiveMessage } from '@sudamall/shared';
import { connectLive, createTestTopics, testTopicPrefix, testToken, type LiveTestClient } from '@sudamall/shared/testing';
import { buildApp } from '../../src/http/app';
import { TestGateway } from '../../src/infra/gateways/test-gateway';
import { PaymentLiveFeed } from '../../src/live/payment-live-feed';
import { admin, buyer, CARDS, FakeOrders, httpDeps, startHarness, type Harness } from '../support/harness';
import { createOwnSchema } from '../support/own-schema';

const prefix = testTopicPrefix();
jest.setTimeout(120_000);

let h: Harness;
let app: FastifyInstance;
let bus: KafkaBus;
let relay: OutboxRelay;
let feed: PaymentLiveFeed;
let base: string;
let schema: Awaited<ReturnType<typeof createOwnSchema>>;
const orders = new FakeOrders();
const clients: LiveTestClient[] = [];

beforeAll(async () => {
  schema = await createOwnSchema('live');
  h = await startHarness({ orders, gateways: [new TestGateway()], env: { KAFKA_TOPIC_PREFIX: prefix, DATABASE_URL: schema.databaseUrl } });
  bus = new KafkaBus({ brokers: h.config.KAFKA_BROKERS.split(','), clientId: 'payment-live-test', logger: h.container.logger });
  await createTestTopics(bus, prefix);
  relay = new OutboxRelay({ databaseUrl: h.config.DATABASE_URL, bus, logger: h.container.logger, topicPrefix: prefix, pollMs: 100 });
  await relay.start();
  feed = new PaymentLiveFeed(new LiveHub({ heartbeatIntervalMs: 200 }), h.container.useCaseDeps.payments);
  app = await buildApp({ ...httpDeps(h.container), live: { hub: feed.hub, auth: { secret: h.config.JWT_SECRET }, streams: [feed.stream()] } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  await feed.start(bus, prefix);
});

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

afterAll(async () => {
  await feed?.stop();
  await app?.close();
  await relay?.stop();
  await bus?.disconnect();
  await h?.close();
  await schema?.drop();
});

async function createPayment(total: string) {
  const user = buyer();
  const order = orders.add({ userId: user.id, totalAmount: total });
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/payments/create/',
    headers: { authorization: user.auth },
    payload: { order_id: order.orderId, gateway: 'test_gateway' },
  });
  expect(res.statusCode).toBe(201);
  return { user, order, paymentId: res.json().payment_id as string };
}

const pay = (auth: string, paymentId: string, card: string) =>
  app.inject({ method: 'POST', url: '/api/v1/payments/process/', headers: { authorization: auth }, payload: { payment_id: paymentId, card_number: card } });

async function watch(paymentId: string, token: string | undefined, opts: { autoPong?: boolean } = {}) {
  const c = await connectLive(base, `/ws/payments/${paymentId}/`, { token, autoPong: opts.autoPong });
  clients.push(c);
  return c;
}

const ofType = (type: string) => (m: LiveMessage) => m.type === type;

it('pushes a declined attempt, the retry that succeeds and the refund to the payer', async () => {
  const { user, order, paymentId } = await createPayment('42.00');
  const c = await watch(paymentId, testToken({ sub: user.id, role: 'buyer' }));
  await c.next(ofType('subscribed'));

  await pay(user.auth, paymentId, CARDS.declined);
  const failed = await c.next(ofType('payment.failed'), 45000);
  expect(failed.data).toMatchObject({ payment_id: paymentId, order_id: order.orderId, status: 'failed', attempt_number: 1 });

  const ok = await pay(user.auth, paymentId, CARDS.success);
  expect(ok.statusCode).toBe(200);
  const succeeded = await c.next(ofType('payment.succeeded'), 45000);
  expect(succeeded.data).toMatchObject({ payment_id: paymentId, order_id: order.orderId, status: 'completed', amount: '42.00' });
  expect(Date.parse(succeeded.occurred_at)).not.toBeNaN();

  const refund = await app.inject({
    method: 'POST',
    url: '/api/v1/payments/refunds/create/',
    headers: { authorization: admin().auth },
    payload: { payment_id: paymentId, amount: '10.00', reason: 'one item missing' },
  });
  expect(refund.statusCode).toBeLessThan(300);
  const refunded = await c.next(ofType('payment.refunded'), 45000);
  expect(refunded.data).toMatchObject({ payment_id: paymentId, amount: '10.00', reason: 'one item missing' });
});

it("closes another buyer's payment stream with 4403 (an unknown payment too) and no token with 4401; an admin may watch", async () => {
  const { paymentId } = await createPayment('5.00');
  const intruder = await watch(paymentId, testToken({ sub: 'someone-else', role: 'buyer' }));
  expect((await intruder.closed).code).toBe(LiveCloseCode.forbidden);
  const unknown = await watch('00000000-0000-4000-8000-000000000000', testToken({ sub: 'someone-else', role: 'buyer' }));
  expect((await unknown.closed).code).toBe(LiveCloseCode.forbidden);
  const anonymous = await watch(paymentId, undefined);
  expect((await anonymous.closed).code).toBe(LiveCloseCode.unauthenticated);
  const operator = await watch(paymentId, testToken({ sub: 'ops', role: 'admin' }));
  await operator.next(ofType('subscribed'));
});

it('terminates a client that never answers pings; another on the same payment still gets the outcome', async () => {
  const { user, paymentId } = await createPayment('7.50');
  const token = testToken({ sub: user.id, role: 'buyer' });
  const dead = await watch(paymentId, token, { autoPong: false });
  const live = await watch(paymentId, token);
  await dead.next(ofType('subscribed'));
  await live.next(ofType('subscribed'));
  expect((await dead.closed).code).toBe(1006);
  await pay(user.auth, paymentId, CARDS.success);
  await live.next(ofType('payment.succeeded'), 45000);
});
