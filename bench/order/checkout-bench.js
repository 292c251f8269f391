#!/usr/bin/env node
// Checkout benchmark (not a test): end-to-end checkouts per second with p50/p99 latency of
// (a) place → under_paying (order REST create, which waits for the stock reservation: order →
//     Kafka → inventory → Kafka → order) and
// (b) place → processing (then pay through payment's REST API with the test gateway: payment →
//     Kafka → order → Kafka → inventory confirm → Kafka → order),
// printed beside the bare Kafka produce → consume round trip measured in the same run through
// the same client library and broker (a checkout to under_paying needs two such hops, to
// processing four more).
//
// Runs the built inventory, order and payment services (services/*/dist/main.js) as child
// processes on free ports, each on a fresh database of its own (<svc>_checkout_bench, dropped
// and re-created from the committed migrations), under a Kafka topic prefix of their own.
//   npx turbo run build && node bench/order/checkout-bench.js      (or: npm run bench -- order)
// Knobs: BENCH_CHECKOUTS (200), BENCH_CONCURRENCY (16), BENCH_PRODUCTS (20), BENCH_KAFKA_ROUNDS (200),
// PGHOST/PGPORT (127.0.0.1:5432), KAFKA_BROKERS (127.0.0.1:9092), REDIS_URL, BENCH_KEEP_DATABASES (1: keep them).
'use strict';
const { spawn } = require('node:child_process');
const { randomUUID, randomBytes } = require('node:crypto');
const { readdirSync, readFileSync } = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { Client } = require('pg');
const { Kafka, logLevel } = require('kafkajs');
const { signToken, KafkaBus, createLogger, ALL_TOPICS, topicName } = require('@sudamall/shared');

const ROOT = path.resolve(__dirname, '../..');
const CHECKOUTS = Number(process.env.BENCH_CHECKOUTS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 20);
const KAFKA_ROUNDS = Number(process.env.BENCH_KAFKA_ROUNDS ?? 200);
const PG = `postgresql://sudamall:sudamall@${process.env.PGHOST ?? '127.0.0.1'}:${process.env.PGPORT ?? 5432}`;
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const JWT_SECRET = 'bench-secret-0123456789abcdef';
const SERVICES = ['inventory', 'order', 'payment'];
const PREFIX = `bench-${randomBytes(4).toString('hex')}.`;

const children = [];
const log = (...a) => console.log(...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function freshDatabase(service) {
  const name = `${service}_checkout_bench`;
  const admin = new Client({ connectionString: `${PG}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = `${PG}/${name}`;
  const db = new Client({ connectionString: url });
  await db.connect();
  const dir = path.join(ROOT, 'services', service, 'prisma', 'migrations');
  for (const m of readdirSync(dir).filter((d) => /^\d/.test(d)).sort()) {
    await db.query(readFileSync(path.join(dir, m, 'migration.sql'), 'utf8'));
  }
  await db.end();
  return url;
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
function summary(ms) {
  const s = [...ms].sort((a, b) => a - b);
  return `p50 ${pct(s, 50).toFixed(1)} ms, p99 ${pct(s, 99).toFixed(1)} ms`;
}

async function kafkaRoundTrip() {
  const kafka = new Kafka({ clientId: 'bench-baseline', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const topic = `${PREFIX}baseline`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  // Same consumer settings as the services' KafkaBus, so the baseline is the floor they work on.
  const consumer = kafka.consumer({ groupId: `${PREFIX}baseline`, maxWaitTimeInMs: 100, heartbeatInterval: 1000, sessionTimeout: 10000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const waiting = new Map();
  const joined = new Promise((r) => consumer.on(consumer.events.GROUP_JOIN, r));
  await consumer.run({ eachMessage: async ({ message }) => waiting.get(message.key.toString())?.() });
  await joined;
  const times = [];
  for (let i = 0; i < KAFKA_ROUNDS; i++) {
    const key = randomUUID();
    const got = new Promise((r) => waiting.set(key, r));
    const t0 = process.hrtime.bigint();
    await producer.send({ topic, acks: -1, messages: [{ key, value: JSON.stringify({ i }) }] });
    await got;
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    waiting.delete(key);
  }
  await consumer.disconnect();
  await producer.disconnect();
  return times;
}

async function main() {
  log(`checkout bench: ${CHECKOUTS} checkouts, ${CONCURRENCY} at a time, ${PRODUCTS} products, topic prefix ${PREFIX}`);
  const bus = new KafkaBus({ brokers: BROKERS, clientId: 'bench-setup', logger: createLogger({ name: 'bench', level: 'warn' }) });
  await bus.ensureTopics(ALL_TOPICS.map((t) => topicName(PREFIX, t)), 3);
  await bus.disconnect();

  const http = {};
  const grpc = {};
  for (const s of SERVICES) {
    http[s] = await freePort();
    grpc[s] = await freePort();
  }
  for (const s of SERVICES) {
    const env = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      HTTP_HOST: '127.0.0.1',
      GRPC_HOST: '127.0.0.1',
      HTTP_PORT: String(http[s]),
      GRPC_PORT: String(grpc[s]),
      DATABASE_URL: await freshDatabase(s),
      KAFKA_BROKERS: BROKERS.join(','),
      KAFKA_TOPIC_PREFIX: PREFIX,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      JWT_SECRET,
      INVENTORY_GRPC_URL: `127.0.0.1:${grpc.inventory}`,
      ORDER_GRPC_URL: `127.0.0.1:${grpc.order}`,
      PAYMENT_GRPC_URL: `127.0.0.1:${grpc.payment}`,
      PAYMENT_TEST_MODE: 'true',
      OTEL_SDK_DISABLED: 'true',
    };
    const child = spawn(process.execPath, ['dist/main.js'], { cwd: path.join(ROOT, 'services', s), env, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
  }
  const url = (s, p) => `http://127.0.0.1:${http[s]}${p}`;
  for (const s of SERVICES) {
    for (let i = 0; ; i++) {
      const ok = await fetch(url(s, '/readyz')).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 300) throw new Error(`${s} did not become ready`);
      await sleep(100);
    }
  }

  const auth = (claims) => `Bearer ${signToken(claims, { secret: JWT_SECRET, expiresIn: '1h' })}`;
  const call = async (authz, method, u, body, headers = {}) => {
    const res = await fetch(u, { method, headers: { authorization: authz, 'content-type': 'application/json', ...headers }, body: body ? JSON.stringify(body) : undefined });
    const json = await res.json().catch(() => null);
    if (!res.ok) throw new Error(`${method} ${u} → ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const seller = auth({ sub: randomUUID(), role: 'seller', store_id: 'bench-store' });
  const products = [];
  for (let i = 0; i < PRODUCTS; i++) {
    const p = await call(seller, 'POST', url('inventory', '/api/v1/products/'), {
      product_name: `Bench product ${i}`, product_description: 'bench', price: '10.00', color: 'black', brand: 'Sudamall', category: 'bench', has_sizes: false, available_quantity: 1_000_000,
    });
    products.push(p.id);
  }

  const toUnderPaying = [];
  const toProcessing = [];
  let failures = 0;
  const checkout = async (n) => {
    const buyer = auth({ sub: randomUUID(), role: 'buyer' });
    const t0 = performance.now();
    let order = await call(buyer, 'POST', url('order', '/api/v1/orders/create/'), { items: [{ product_id: products[n % products.length], quantity: 1 }], shipping_address: 'bench' }, { 'idempotency-key': randomUUID() });
    // Polls are spaced so the benchmark's own reads do not become the load it measures.
    while (order.status === 'pending') {
      await sleep(100);
      order = await call(buyer, 'GET', url('order', `/api/v1/orders/${order.order_id}/`));
    }
    if (order.status !== 'under_paying') throw new Error(`order ${order.order_id} is ${order.status}`);
    toUnderPaying.push(performance.now() - t0);
    const payment = await call(buyer, 'POST', url('payment', '/api/v1/payments/create/'), { order_id: order.order_id, gateway: 'test_gateway' });
    await call(buyer, 'POST', url('payment', '/api/v1/payments/process/'), { payment_id: payment.payment_id, card_number: '4242424242424242' });
    for (;;) {
      order = await call(buyer, 'GET', url('order', `/api/v1/orders/${order.order_id}/`));
      if (order.status === 'processing') break;
      if (order.status === 'cancelled') throw new Error(`order ${order.order_id} cancelled: ${order.cancel_reason}`);
      await sleep(100);
    }
    toProcessing.push(performance.now() - t0);
  };
  // Warm-up (JIT, connection pools, consumer fetch sessions), not measured.
  for (let i = 0; i < 10; i++) await checkout(i);
  toUnderPaying.length = 0;
  toProcessing.length = 0;

  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CHECKOUTS) {
        const n = next++;
        await checkout(n).catch((err) => {
          failures++;
          console.error(String(err));
        });
      }
    }),
  );
  const wall = (performance.now() - started) / 1000;
  const baseline = await kafkaRoundTrip();
  const bare = [...baseline].sort((a, b) => a - b);

  log('');
  log(`place → under_paying: ${summary(toUnderPaying)}`);
  log(`place → processing (test gateway): ${summary(toProcessing)}`);
  log(`checkouts to processing: ${(toProcessing.length / wall).toFixed(1)}/s over ${wall.toFixed(1)} s (${CONCURRENCY} concurrent), ${failures} failed`);
  log(`bare Kafka produce → consume round trip (${KAFKA_ROUNDS} sequential, acks=all): ${summary(baseline)}`);
  log(`ratio: place → under_paying p50 = ${(pct([...toUnderPaying].sort((a, b) => a - b), 50) / pct(bare, 50)).toFixed(1)} × one bare Kafka round trip (the saga needs 2 hops plus the outbox and the database work on each side)`);
  if (failures > 0) process.exitCode = 1;
}

function stopChildren() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
}
process.on('SIGINT', () => {
  stopChildren();
  process.exit(130);
});
main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    stopChildren();
    await sleep(500);
    if (process.env.BENCH_KEEP_DATABASES) return; // to look into them afterwards
    const admin = new Client({ connectionString: `${PG}/postgres` });
    await admin.connect().catch(() => undefined);
    for (const s of SERVICES) await admin.query(`DROP DATABASE IF EXISTS "${s}_checkout_bench" WITH (FORCE)`).catch(() => undefined);
    await admin.end().catch(() => undefined);
  });
