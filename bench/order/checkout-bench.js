#!/usr/bin/env node
// Checkout benchmark (not a test): sustained end-to-end checkouts through the REST APIs, for a
// fixed time, from a fixed number of concurrent buyers, each of whom:
//   1. places an order (order REST `POST /api/v1/orders/create/`, which waits for the stock
//      reservation: order → Kafka → inventory → Kafka → order, answering `under_paying`);
//   2. pays it with the test gateway (payment REST create + process), and goes on to the next
//      checkout at once: the order reaches `processing` asynchronously (payment → Kafka → order
//      → Kafka → inventory confirm → Kafka → order).
// Latencies are read afterwards from the order database (the time each order entered
// `under_paying` and `processing`, from its status history) against the moment the buyer sent
// the request, so the benchmark does not poll the service it measures. The buyers' requests go
// through a keep-alive node:http client (bench/lib/http-client.js), not fetch: this process shares
// the two cores with the services, and fetch cost it several times more CPU per request.
//
// Printed, each beside the bare Kafka produce → consume round trip measured in the same run
// through the same client library and broker:
//   - orders/s reaching under_paying and processing inside the measured window, p50/p99 of each;
//   - where the time goes: the median moment of each step of the saga (outbox row written,
//     published, consumed by the next service) after the buyer's request;
//   - CPU per order: each service, Kafka, PostgreSQL, Redis, and the whole machine;
//   - memory: each service's RSS at idle and under load (max, and its growth from the first to
//     the last fifth of the window), the whole platform (services + Kafka + PostgreSQL PSS +
//     Redis). With BENCH_SECONDS=600 this is the 10-minute soak (`npm run bench -- soak`).
//
// Runs the four built services (services/*/dist/main.js) as child processes on free ports, each on
// a fresh database of its own (<svc>_checkout_bench, dropped and re-created from the committed
// migrations), under a Kafka topic prefix of their own, Redis locks on. The buyers check out
// through order and payment; the cart runs as in the platform, following every stock movement
// (two per checkout) and order event into the carts seeded to hold the bench's products
// (BENCH_CARTS), and its CPU is the checkout's too.
//   npx turbo run build && node bench/order/checkout-bench.js      (or: npm run bench -- order)
// Knobs: BENCH_SECONDS (60), BENCH_WARMUP_SECONDS (10), BENCH_CONCURRENCY (32), BENCH_PRODUCTS (50),
// BENCH_CARTS (5000: other buyers' carts, each holding 3 of the products), BENCH_KAFKA_ROUNDS (200),
// BENCH_DRAIN_SECONDS (60: how long to wait for the last orders),
// BENCH_CPU_PROF (a folder: each service writes a V8 CPU profile there when it stops),
// BENCH_OTEL (1: keep the tracing SDK on; off by default), BENCH_NODE_OPTIONS (the services' NODE_OPTIONS; default: the image's heap sizing), PGHOST/PGPORT (127.0.0.1:5432),
// KAFKA_BROKERS (127.0.0.1:9092), REDIS_URL, BENCH_KEEP_DATABASES (1: keep them),
// BENCH_STORM_SHOPPERS / BENCH_STORM_UNITS (0 / 50: after the window, that many buyers at once each
// buy one of that many units of a new product; prints how many were sold), BENCH_RESULT_FILE (a
// path: the figures as JSON too, for bench/peers).
'use strict';
const { spawn } = require('node:child_process');
const { randomUUID, randomBytes } = require('node:crypto');
const { readdirSync, readFileSync, existsSync, writeFileSync } = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { Client } = require('pg');
const { Kafka, logLevel } = require('kafkajs');
const { signToken, KafkaBus, createLogger, ALL_TOPICS, topicName } = require('@sudamall/shared');
const { ProcessGroups, pidsMatching, machineCpuMs } = require('./process-stats');
const { createHttpClient } = require('../lib/http-client');

const ROOT = path.resolve(__dirname, '../..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 50);
const CARTS = Number(process.env.BENCH_CARTS ?? 5000);
const KAFKA_ROUNDS = Number(process.env.BENCH_KAFKA_ROUNDS ?? 200);
const DRAIN_SECONDS = Number(process.env.BENCH_DRAIN_SECONDS ?? 60);
const CPU_PROF = process.env.BENCH_CPU_PROF;
const STORM_SHOPPERS = Number(process.env.BENCH_STORM_SHOPPERS ?? 0);
const STORM_UNITS = Number(process.env.BENCH_STORM_UNITS ?? 50);
const RESULT_FILE = process.env.BENCH_RESULT_FILE;
const PG = `postgresql://sudamall:sudamall@${process.env.PGHOST ?? '127.0.0.1'}:${process.env.PGPORT ?? 5432}`;
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
// NODE_ENV=production refuses secrets written in the repository: generated per run.
const JWT_SECRET = randomBytes(48).toString('hex');
const SERVICES = ['inventory', 'order', 'payment', 'cart'];
// Whose memory is printed, and makes up the platform's.
const MEMORY_GROUPS = [...SERVICES, 'kafka', 'postgres', 'redis'];
const PREFIX = `bench-${randomBytes(4).toString('hex')}.`;
// Targets of issue 8 on this 2-core machine, printed beside the figures.
const TARGETS = { under_paying: { rate: 300, p99: 250 }, processing: { rate: 200, p99: 500 }, serviceRssMb: 200, platformMb: 3072 };

const children = {};
// The buyers' HTTP client (bench/lib/http-client.js: its CPU per request is the "bench" line's).
// Per origin, as many sockets as requests can be in flight: the buyers, or the storm's shoppers.
const client = createHttpClient({ maxSockets: Math.max(CONCURRENCY, STORM_SHOPPERS) });
const log = (...a) => console.log(...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (n, d = 0) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));

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
  for (const m of readdirSync(dir)
    .filter((d) => /^\d/.test(d))
    .sort()) {
    await db.query(readFileSync(path.join(dir, m, 'migration.sql'), 'utf8'));
  }
  await db.end();
  return url;
}

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const pct = (s, p) => (s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN);
const median = (xs) => pct(sorted(xs), 50);

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

/**
 * Other buyers' carts, each holding 3 of the products (one unit, no size), last checked an hour
 * ago: what the cart's catalogue sync meets on every stock movement of a product in a shop.
 */
async function seedCarts(cartDb, products) {
  if (CARTS <= 0) return;
  const db = new Client({ connectionString: cartDb });
  await db.connect();
  try {
    await db.query(`INSERT INTO carts (id, user_id) SELECT gen_random_uuid(), 'bench-cart-' || n FROM generate_series(1, $1) n`, [CARTS]);
    const { rowCount } = await db.query(
      `INSERT INTO cart_items (id, cart_id, product_id, product_name, size, quantity, price_when_added, current_price, synced_at)
       SELECT gen_random_uuid(), c.id, ($1::text[])[1 + ((c.n + k) % cardinality($1::text[]))::int], 'Bench product', '', 1, 10, 10, now() - interval '1 hour'
         FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM carts) c
        CROSS JOIN generate_series(0, least(3, cardinality($1::text[])) - 1) k`,
      [products],
    );
    await db.query('ANALYZE carts, cart_items');
    log(`seeded ${CARTS} carts holding ${rowCount} lines of the ${products.length} products`);
  } finally {
    await db.end();
  }
}

async function startServices() {
  const http = {};
  const grpc = {};
  const dbs = {};
  for (const s of SERVICES) {
    http[s] = await freePort();
    grpc[s] = await freePort();
    dbs[s] = await freshDatabase(s);
  }
  for (const s of SERVICES) {
    const env = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      JWT_HS256_IN_PRODUCTION: 'true', // the bench signs its own HS256 tokens; no identity provider here
      RATE_LIMIT_MAX: '0', // production limits each caller by default; the bench is one address measuring throughput
      LOG_LEVEL: 'warn',
      HTTP_HOST: '127.0.0.1',
      GRPC_HOST: '127.0.0.1',
      HTTP_PORT: String(http[s]),
      GRPC_PORT: String(grpc[s]),
      DATABASE_URL: dbs[s],
      KAFKA_BROKERS: BROKERS.join(','),
      KAFKA_TOPIC_PREFIX: PREFIX,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      JWT_SECRET,
      INVENTORY_GRPC_URL: `127.0.0.1:${grpc.inventory}`,
      ORDER_GRPC_URL: `127.0.0.1:${grpc.order}`,
      PAYMENT_GRPC_URL: `127.0.0.1:${grpc.payment}`,
      PAYMENT_TEST_MODE: 'true',
      PAYMENT_TEST_MODE_IN_PRODUCTION: 'true', // the bench pays with the test gateway
      STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('hex')}`,
      OTEL_SDK_DISABLED: process.env.BENCH_OTEL === '1' ? 'false' : 'true',
      // The services' Node options: by default the heap sizing the image sets
      // (services/<name>/Dockerfile); BENCH_NODE_OPTIONS='' measures without it.
      NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '--max-old-space-size=128 --max-semi-space-size=4',
    };
    // BENCH_CPU_PROF=<dir>: each service writes a V8 CPU profile there when it stops.
    const prof = CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(CPU_PROF), '--cpu-prof-name', `${s}.cpuprofile`] : [];
    children[s] = spawn(process.execPath, [...prof, 'dist/main.js'], { cwd: path.join(ROOT, 'services', s), env, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const url = (s, p) => `http://127.0.0.1:${http[s]}${p}`;
  for (const s of SERVICES) {
    for (let i = 0; ; i++) {
      const ok = await client.request('GET', url(s, '/readyz')).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (children[s].exitCode !== null) throw new Error(`${s} exited with ${children[s].exitCode}`);
      if (i > 300) throw new Error(`${s} did not become ready`);
      await sleep(100);
    }
  }
  return { url, dbs };
}

function kafkaPid() {
  const file = path.join(ROOT, '.local', 'kafka', 'kafka.pid');
  if (existsSync(file)) return [Number(readFileSync(file, 'utf8').trim())];
  return pidsMatching(/kafka\.Kafka/);
}

/** Reads, per order, when it entered each status (from its history) and the saga's messages. */
async function readTimelines(dbs, placed) {
  const ids = [...placed.keys()];
  const q = async (service, sql, params) => {
    const c = new Client({ connectionString: dbs[service] });
    c.on('error', () => undefined); // the databases are dropped at the end, even after a failure
    await c.connect();
    try {
      return (await c.query(sql, params)).rows;
    } finally {
      await c.end();
    }
  };
  const ms = (d) => (d ? new Date(d).getTime() : undefined);
  const statuses = await q(
    'order',
    `SELECT order_id::text, to_status::text AS status, min(created_at) AS at FROM order_status_history WHERE order_id = ANY($1::uuid[]) GROUP BY 1, 2`,
    [ids],
  );
  const orderCreated = await q('order', `SELECT order_id::text AS id, created_at FROM orders WHERE order_id = ANY($1::uuid[])`, [ids]);
  // Every message about these orders, where it was written, when it was published, and when
  // each consuming service recorded it in its inbox.
  const messages = [];
  const inboxes = {};
  for (const s of SERVICES) {
    for (const r of await q(s, `SELECT event_id::text, key, type, created_at, published_at FROM outbox WHERE key = ANY($1::text[])`, [ids])) {
      messages.push({ from: s, ...r });
    }
  }
  const eventIds = messages.map((m) => m.event_id);
  for (const s of SERVICES) {
    for (const r of await q(s, `SELECT event_id::text, min(processed_at) AS at FROM inbox WHERE event_id = ANY($1::uuid[]) GROUP BY 1`, [eventIds])) {
      (inboxes[r.event_id] ??= []).push({ by: s, at: ms(r.at) });
    }
  }
  const timelines = new Map(ids.map((id) => [id, { t0: placed.get(id), status: {}, steps: {} }]));
  for (const r of statuses) timelines.get(r.order_id).status[r.status] = ms(r.at);
  for (const r of orderCreated) timelines.get(r.id).steps['order row written (snapshots via gRPC before it)'] = ms(r.created_at);
  for (const m of messages) {
    const t = timelines.get(m.key);
    if (!t) continue;
    const name = `${m.from}: ${m.type}`;
    // A type may repeat per order (a re-sent command): the first one tells the story.
    const put = (label, at) => {
      if (at !== undefined && (t.steps[label] === undefined || at < t.steps[label])) t.steps[label] = at;
    };
    put(`${name} written`, ms(m.created_at));
    put(`${name} published`, ms(m.published_at));
    for (const c of inboxes[m.event_id] ?? []) put(`${name} consumed by ${c.by}`, c.at);
  }
  return timelines;
}

/**
 * The oversell storm: `STORM_SHOPPERS` buyers at once, each placing an order for one unit of a new
 * product that has `STORM_UNITS` and paying it when it is reserved. Waits for every order to end,
 * then reads the stock row: `sold` must not exceed the units (bench/peers runs the same against Vendure).
 */
async function storm({ call, url, seller, auth, dbs }) {
  const product = await call(seller, 'POST', url('inventory', '/api/v1/products/'), {
    product_name: 'Storm product',
    product_description: 'bench storm',
    price: '10.00',
    color: 'black',
    brand: 'Sudamall',
    category: 'bench',
    has_sizes: false,
    available_quantity: STORM_UNITS,
  });
  const shoppers = Array.from({ length: STORM_SHOPPERS }, () => auth({ sub: randomUUID(), role: 'buyer' }));
  const outcomes = {};
  const ids = [];
  const started = Date.now();
  await Promise.all(
    shoppers.map(async (buyer) => {
      let outcome;
      try {
        let order = await call(
          buyer,
          'POST',
          url('order', '/api/v1/orders/create/'),
          { items: [{ product_id: product.id, quantity: 1 }], shipping_address: 'storm' },
          { 'idempotency-key': randomUUID() },
        );
        ids.push(order.order_id);
        while (order.status === 'pending') {
          await sleep(50);
          order = await call(buyer, 'GET', url('order', `/api/v1/orders/${order.order_id}/`));
        }
        if (order.status === 'under_paying') {
          const payment = await call(
            buyer,
            'POST',
            url('payment', '/api/v1/payments/create/'),
            { order_id: order.order_id, gateway: 'test_gateway' },
            { 'idempotency-key': randomUUID() },
          );
          await call(buyer, 'POST', url('payment', '/api/v1/payments/process/'), { payment_id: payment.payment_id, card_number: '4242424242424242' });
          outcome = 'paid';
        } else {
          outcome = `order ${order.status}`;
        }
      } catch (err) {
        outcome = /"code":"([A-Z_]+)"/.exec(String(err))?.[1] ?? 'error';
      }
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }),
  );
  const answeredMs = Date.now() - started;
  const q = async (service, sql, params) => {
    const c = new Client({ connectionString: dbs[service] });
    await c.connect();
    try {
      return (await c.query(sql, params)).rows;
    } finally {
      await c.end();
    }
  };
  // Paid orders reach processing asynchronously (stock confirmed): wait for every order to end.
  for (const t0 = Date.now(); Date.now() - t0 < DRAIN_SECONDS * 1000; await sleep(500)) {
    const [{ n }] = await q('order', `SELECT count(*)::int AS n FROM orders WHERE order_id = ANY($1::uuid[]) AND status IN ('pending', 'under_paying')`, [ids]);
    if (n === 0) break;
  }
  const statuses = Object.fromEntries(
    (await q('order', `SELECT status::text, count(*)::int AS n FROM orders WHERE order_id = ANY($1::uuid[]) GROUP BY 1`, [ids])).map((r) => [r.status, r.n]),
  );
  const [stock] = await q(
    'inventory',
    `SELECT sum(available)::int AS available, sum(reserved)::int AS reserved, sum(sold)::int AS sold FROM stock WHERE product_id = $1`,
    [product.id],
  );
  return {
    shoppers: STORM_SHOPPERS,
    units: STORM_UNITS,
    answeredMs,
    outcomes,
    statuses,
    stock,
    sold: stock.sold,
    oversold: Math.max(0, stock.sold - STORM_UNITS),
  };
}

/**
 * The broker's partitions, and the run's own topics deleted at its end. Every partition costs the
 * single broker work even when idle: with ~16,000 left over by test runs (each test file creates
 * its own prefixed topics) it spent ~11 ms of CPU per checkout here instead of ~2.5 ms after they
 * were deleted (bench/README), so a run says how many it found, and leaves none behind.
 */
async function brokerPartitions() {
  const admin = new Kafka({ clientId: 'bench-topics', brokers: BROKERS, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata();
    return topics.reduce((n, t) => n + t.partitions.length, 0);
  } finally {
    await admin.disconnect();
  }
}

async function deleteOwnTopics() {
  const admin = new Kafka({ clientId: 'bench-topics', brokers: BROKERS, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const own = (await admin.listTopics()).filter((t) => t.startsWith(PREFIX));
    if (own.length > 0) await admin.deleteTopics({ topics: own });
  } finally {
    await admin.disconnect();
  }
}

async function main() {
  log(
    `checkout bench: ${SECONDS} s measured after ${WARMUP_SECONDS} s warm-up, ${CONCURRENCY} concurrent buyers, ${PRODUCTS} products, topic prefix ${PREFIX}`,
  );
  const partitions = await brokerPartitions();
  log(
    `the broker holds ${partitions} partitions before this run's` +
      (partitions > 1000 ? ': many are left over from test runs and cost it CPU per message (bash scripts/platform.sh prune-topics deletes them)' : ''),
  );
  const bus = new KafkaBus({ brokers: BROKERS, clientId: 'bench-setup', logger: createLogger({ name: 'bench', level: 'warn' }) });
  await bus.ensureTopics(
    ALL_TOPICS.map((t) => topicName(PREFIX, t)),
    3,
  );
  await bus.disconnect();

  const { url, dbs } = await startServices();
  const groups = new ProcessGroups(
    {
      inventory: () => [children.inventory.pid],
      order: () => [children.order.pid],
      payment: () => [children.payment.pid],
      cart: () => [children.cart.pid],
      kafka: kafkaPid,
      postgres: () => pidsMatching(/^postgres/),
      redis: () => pidsMatching(/^redis-server/),
      bench: () => [process.pid],
    },
    { pssGroups: ['postgres'] },
  );

  const auth = (claims) => `Bearer ${signToken(claims, { secret: JWT_SECRET, expiresIn: '2h' })}`;
  const call = async (authz, method, u, body, headers = {}) => {
    const res = await client.request(method, u, {
      headers: { authorization: authz, 'content-type': 'application/json', ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const { json } = res;
    if (!res.ok) throw new Error(`${method} ${u} → ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const seller = auth({ sub: randomUUID(), role: 'seller', store_id: 'bench-store' });
  const products = [];
  for (let i = 0; i < PRODUCTS; i++) {
    const p = await call(seller, 'POST', url('inventory', '/api/v1/products/'), {
      product_name: `Bench product ${i}`,
      product_description: 'bench',
      price: '10.00',
      color: 'black',
      brand: 'Sudamall',
      category: 'bench',
      has_sizes: false,
      available_quantity: 10_000_000,
    });
    products.push(p.id);
  }
  await seedCarts(dbs.cart, products);
  await sleep(2000);
  const idleMemory = groups.memory();

  // One buyer per worker (a storefront's buyers, each with a token signed once).
  const buyers = Array.from({ length: CONCURRENCY }, () => auth({ sub: randomUUID(), role: 'buyer' }));
  const placed = new Map(); // order id → wall-clock ms the buyer sent the order (measured window only)
  let measuring = false;
  let stopping = false;
  let failures = 0;
  let n = 0;
  const checkout = async (buyer) => {
    const t0 = Date.now();
    let order = await call(
      buyer,
      'POST',
      url('order', '/api/v1/orders/create/'),
      { items: [{ product_id: products[n++ % products.length], quantity: 1 }], shipping_address: 'bench' },
      { 'idempotency-key': randomUUID() },
    );
    if (measuring) placed.set(order.order_id, t0);
    while (order.status === 'pending') {
      await sleep(50);
      order = await call(buyer, 'GET', url('order', `/api/v1/orders/${order.order_id}/`));
    }
    if (order.status !== 'under_paying') throw new Error(`order ${order.order_id} is ${order.status}`);
    const payment = await call(
      buyer,
      'POST',
      url('payment', '/api/v1/payments/create/'),
      { order_id: order.order_id, gateway: 'test_gateway' },
      { 'idempotency-key': randomUUID() },
    );
    await call(buyer, 'POST', url('payment', '/api/v1/payments/process/'), { payment_id: payment.payment_id, card_number: '4242424242424242' });
  };
  const workers = buyers.map(async (buyer) => {
    while (!stopping) {
      await checkout(buyer).catch((err) => {
        failures++;
        if (failures <= 5) console.error(String(err));
      });
    }
  });

  await sleep(WARMUP_SECONDS * 1000);
  measuring = true;
  const cpu0 = groups.cpu();
  const machine0 = machineCpuMs();
  const busy0 = machine0.busy;
  const started = Date.now();
  const samples = [];
  let lastProgress = started;
  while (Date.now() - started < SECONDS * 1000) {
    await sleep(1000);
    samples.push({ at: Date.now() - started, mem: groups.memory() });
    if (Date.now() - lastProgress >= 10_000) {
      lastProgress = Date.now();
      const m = samples[samples.length - 1].mem;
      log(
        `  ${Math.round((Date.now() - started) / 1000)} s: ${placed.size} placed, ${failures} failed; RSS MB inventory ${fmt(m.inventory)}, order ${fmt(m.order)}, payment ${fmt(m.payment)}, cart ${fmt(m.cart)}`,
      );
    }
  }
  const ended = Date.now();
  measuring = false;
  const cpu1 = groups.cpu();
  const machine1 = machineCpuMs();
  const busy1 = machine1.busy;
  stopping = true;
  await Promise.all(workers);

  // The last orders of the window finish asynchronously: wait for them (bounded).
  const orderDb = new Client({ connectionString: dbs.order });
  orderDb.on('error', () => undefined);
  await orderDb.connect();
  const drainStart = Date.now();
  let unfinished;
  for (;;) {
    const [{ n: left }] = (
      await orderDb.query(`SELECT count(*)::int AS n FROM orders WHERE order_id = ANY($1::uuid[]) AND status IN ('pending', 'under_paying')`, [
        [...placed.keys()],
      ])
    ).rows;
    unfinished = left;
    if (left === 0 || Date.now() - drainStart > DRAIN_SECONDS * 1000) break;
    await sleep(500);
  }
  await orderDb.end();
  const drainMs = Date.now() - drainStart;

  const timelines = await readTimelines(dbs, placed);
  const wall = (ended - started) / 1000;
  const latency = (status) => sorted([...timelines.values()].filter((t) => t.status[status] !== undefined).map((t) => t.status[status] - t.t0));
  const inWindow = (status) => [...timelines.values()].filter((t) => t.status[status] !== undefined && t.status[status] <= ended).length;
  const baseline = sorted(await kafkaRoundTrip());

  log('');
  log(
    `measured ${wall.toFixed(1)} s, ${CONCURRENCY} concurrent buyers: ${placed.size} orders placed, ${failures} requests failed; last orders finished ${(drainMs / 1000).toFixed(1)} s after the window${unfinished ? `, ${unfinished} still unfinished` : ''}`,
  );
  log(
    `bare Kafka produce → consume round trip (${KAFKA_ROUNDS} sequential, acks=all): p50 ${fmt(pct(baseline, 50), 1)} ms, p99 ${fmt(pct(baseline, 99), 1)} ms (${fmt(1000 / pct(baseline, 50))}/s one at a time)`,
  );
  const result = { seconds: wall, concurrency: CONCURRENCY, placed: placed.size, failures, unfinished };
  for (const [status, target] of Object.entries({ under_paying: TARGETS.under_paying, processing: TARGETS.processing })) {
    const l = latency(status);
    const rate = inWindow(status) / wall;
    result[status] = { rate, p50: pct(l, 50), p99: pct(l, 99) };
    log(
      `place → ${status.padEnd(12)} ${fmt(rate, 1).padStart(6)}/s sustained (target ≥ ${target.rate}/s), p50 ${fmt(pct(l, 50))} ms, p99 ${fmt(pct(l, 99))} ms (target < ${target.p99} ms); p50 = ${fmt(pct(l, 50) / pct(baseline, 50), 1)} × the bare round trip`,
    );
  }

  // Where the time goes: the median moment of each step after the buyer's request.
  const steps = new Map();
  for (const t of timelines.values()) {
    for (const [label, at] of Object.entries({ ...t.steps, ...Object.fromEntries(Object.entries(t.status).map(([s, at]) => [`order status → ${s}`, at])) })) {
      if (!steps.has(label)) steps.set(label, []);
      steps.get(label).push(at - t.t0);
    }
  }
  log('');
  log('where the time goes (median ms after the buyer sent the order; p99 beside it):');
  for (const [label, xs] of [...steps.entries()].sort((a, b) => median(a[1]) - median(b[1]))) {
    if (xs.length < placed.size * 0.5) continue; // steps most orders do not take (retries, cancellations)
    const s = sorted(xs);
    log(`  ${fmt(pct(s, 50)).padStart(6)}  ${fmt(pct(s, 99)).padStart(6)}  ${label}`);
  }

  const orders = Math.max(1, inWindow('processing'));
  log('');
  log(
    `CPU per order reaching processing (ms, over the window; ${fmt(((busy1 - busy0) / (ended - started)) * 100)}% of one core busy on average across the machine):`,
  );
  const cpuLine = Object.keys(cpu0)
    .map((g) => `${g} ${fmt((cpu1[g] - cpu0[g]) / orders, 2)}`)
    .join(', ');
  // Interrupts and steal are charged to no process: a machine figure above the processes' sum is mostly them.
  const perOrder = (k) => fmt((machine1[k] - machine0[k]) / orders, 2);
  log(`  ${cpuLine}; whole machine ${fmt((busy1 - busy0) / orders, 2)} (of which interrupts ${perOrder('interrupts')}, steal ${perOrder('steal')})`);
  result.cpuPerOrderMs = { ...Object.fromEntries(Object.keys(cpu0).map((g) => [g, (cpu1[g] - cpu0[g]) / orders])), machine: (busy1 - busy0) / orders };

  log('');
  log(`memory (MB; services RSS, PostgreSQL PSS; target: each service ≤ ${TARGETS.serviceRssMb}, platform ≤ ${TARGETS.platformMb}, no growth):`);
  const fifth = Math.max(1, Math.floor(samples.length / 5));
  const avg = (xs, g) => xs.reduce((a, x) => a + (x.mem[g] ?? 0), 0) / xs.length;
  for (const g of MEMORY_GROUPS) {
    const max = Math.max(...samples.map((x) => x.mem[g] ?? 0));
    const first = avg(samples.slice(0, fifth), g);
    const last = avg(samples.slice(-fifth), g);
    log(
      `  ${g.padEnd(9)} idle ${fmt(idleMemory[g]).padStart(5)}, under load max ${fmt(max).padStart(5)}, first fifth ${fmt(first).padStart(5)} → last fifth ${fmt(last).padStart(5)} (${last >= first ? '+' : ''}${fmt(last - first)})`,
    );
  }
  const platform = (m) => MEMORY_GROUPS.reduce((a, g) => a + (m[g] ?? 0), 0);
  log(`  platform  idle ${fmt(platform(idleMemory))}, under load max ${fmt(Math.max(...samples.map((x) => platform(x.mem))))}`);
  if (STORM_SHOPPERS > 0) {
    const r = await storm({ call, url, seller, auth, dbs });
    log('');
    log(
      `oversell storm: ${r.shoppers} buyers at once, one unit each, of ${r.units} units: sold ${r.sold} (oversold ${r.oversold}); answers ${JSON.stringify(r.outcomes)} in ${r.answeredMs} ms; orders ${JSON.stringify(r.statuses)}; stock ${JSON.stringify(r.stock)}`,
    );
    result.storm = r;
    if (r.oversold > 0) process.exitCode = 1;
  }
  if (RESULT_FILE) writeFileSync(RESULT_FILE, JSON.stringify(result, null, 2));
  if (failures > 0 || unfinished > 0) process.exitCode = 1;
}

async function stopChildren() {
  const exits = Object.values(children)
    .filter((c) => c.exitCode === null)
    .map(
      (c) =>
        new Promise((r) => {
          c.once('exit', r);
          c.kill('SIGTERM');
        }),
    );
  // The CPU profiles are written at exit: wait for it (bounded).
  await Promise.race([Promise.all(exits), sleep(30_000)]);
}
process.on('SIGINT', () => {
  void stopChildren().then(() => process.exit(130));
});
main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopChildren();
    await deleteOwnTopics().catch((err) => log(`could not delete this run's topics (${PREFIX}*): ${err.message}`));
    if (CPU_PROF) log(`CPU profiles: ${path.resolve(CPU_PROF)} (node bench/profile-summary.js <file>)`);
    if (process.env.BENCH_KEEP_DATABASES) return; // to look into them afterwards
    const admin = new Client({ connectionString: `${PG}/postgres` });
    await admin.connect().catch(() => undefined);
    for (const s of SERVICES) await admin.query(`DROP DATABASE IF EXISTS "${s}_checkout_bench" WITH (FORCE)`).catch(() => undefined);
    await admin.end().catch(() => undefined);
    process.exit();
  });
