#!/usr/bin/env node
// Inventory reservation benchmark (not a test): reservations/s and p50/p99 latency through
// gRPC, (a) on ONE hot product and (b) spread over 1,000 products, each printed beside a bare
// PostgreSQL baseline measured in the same run on the same database with the same concurrency:
//   (a) the bare reserve transaction on one hot row per request (BEGIN; lock the row;
//       conditional UPDATE; INSERT reservation; INSERT outbox row; COMMIT),
//   (b) the bare conditional UPDATE (one autocommit statement) spread over 1,000 rows.
// Then checks that nothing was oversold.
//
// Runs the real service (services/inventory/dist/main.js) as a child process on a database of
// its own (inventory_bench, created and migrated here), Kafka disabled. Build first:
//   npx turbo run build --filter=@sudamall/inventory && node bench/inventory/reserve-bench.js
// The spread case is measured a second way too: through ReserveBatch (BENCH_BATCH reservations per
// call, each its own order; BENCH_BATCH_CONCURRENCY callers), printed beside the same bare baseline.
// Knobs: BENCH_SECONDS (10 per case), BENCH_CONCURRENCY (64), BENCH_POOL (10, the pg pool of the
// service and of the baseline), BENCH_PRODUCTS (1000), BENCH_BATCH (100), BENCH_BATCH_CONCURRENCY (8),
// BENCH_CPU_PROF (a folder: profile the service), BENCH_ONLY (hot | spread), PGHOST/PGPORT
// (127.0.0.1:5432), REDIS_URL.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const { randomBytes, randomUUID } = require('node:crypto');
const net = require('node:net');
const path = require('node:path');
const { Client, Pool } = require('pg');
const grpc = require('@grpc/grpc-js');
const { inventory: pb } = require('@sudamall/proto');

const ROOT = path.resolve(__dirname, '../..');
const SERVICE = path.join(ROOT, 'services/inventory');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const POOL = Number(process.env.BENCH_POOL ?? 10);
const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 1000);
const BATCH = Number(process.env.BENCH_BATCH ?? 100);
const BATCH_CONCURRENCY = Number(process.env.BENCH_BATCH_CONCURRENCY ?? 8);
const PG = `postgresql://sudamall:sudamall@${process.env.PGHOST ?? '127.0.0.1'}:${process.env.PGPORT ?? 5432}`;
const DB = 'inventory_bench';
const DATABASE_URL = `${PG}/${DB}`;
const BIG = 100_000_000;

const log = (...a) => console.log(...a);

async function ensureDatabase() {
  const admin = new Client({ connectionString: `${PG}/postgres` });
  await admin.connect();
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB]);
  if (!rowCount) await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
  execFileSync(process.execPath, [require.resolve('prisma/build/index.js'), 'migrate', 'deploy'], {
    cwd: SERVICE,
    env: { ...process.env, DATABASE_URL },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function seed(pool, count, available) {
  // One statement: products and their single stock row (no sizes), plus the initial adjustment.
  const { rows } = await pool.query(
    `WITH p AS (
       INSERT INTO products (product_name, price, store_id, owner_id, has_sizes, updated_at)
       SELECT 'bench product ' || g, 9.99, 'bench-store', 'bench', false, now() FROM generate_series(1, $1) g
       RETURNING id),
     s AS (INSERT INTO stock (product_id, size, available) SELECT id, '', $2 FROM p RETURNING id, product_id)
     INSERT INTO stock_adjustments (stock_id, product_id, delta, available_after, reason, actor_id)
     SELECT id, product_id, $2, $2, 'initial', 'bench' FROM s
     RETURNING product_id, stock_id`,
    [count, available],
  );
  return rows.map((r) => ({ productId: r.product_id, stockId: r.stock_id }));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function startService() {
  const grpcPort = await freePort();
  // BENCH_CPU_PROF=<dir>: the service writes a V8 CPU profile there when it stops.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const child = spawn(process.execPath, [...prof, path.join(SERVICE, 'dist/main.js')], {
    cwd: SERVICE,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      JWT_HS256_IN_PRODUCTION: 'true', // no identity provider here
      RATE_LIMIT_MAX: '0', // production limits each caller by default; the bench is one address measuring throughput
      LOG_LEVEL: 'warn',
      DATABASE_URL,
      DATABASE_POOL_SIZE: String(POOL),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      KAFKA_ENABLED: 'false',
      JWT_SECRET: randomBytes(48).toString('hex'), // production refuses a secret from the repository
      STOCK_LOCK_NAMESPACE: `bench:${randomUUID()}:`,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const client = new pb.InventoryServiceClient(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure(), {
    'grpc.max_concurrent_streams': 1000,
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await unary(client, 'getProducts', { ids: [] });
      break;
    } catch (e) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`service did not start: ${e.message}`, { cause: e });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { child, client };
}

function unary(client, method, req) {
  return new Promise((resolve, reject) => {
    client[method](req, new grpc.Metadata(), { deadline: new Date(Date.now() + 10_000) }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/**
 * Runs `op` from `callers` callers for SECONDS; returns the rate (of reservations: `op` answers
 * true/false for one, or { ok, rejected } counts for a batch) and the calls' latency percentiles.
 */
async function measure(label, op, callers = CONCURRENCY) {
  const latencies = [];
  let ok = 0;
  let rejected = 0;
  let errors = 0;
  let firstError;
  const start = process.hrtime.bigint();
  const end = Date.now() + SECONDS * 1000;
  let lastPrint = Date.now();
  let lastOk = 0;
  const worker = async () => {
    while (Date.now() < end) {
      const t0 = process.hrtime.bigint();
      try {
        const r = await op();
        if (typeof r === 'object') {
          ok += r.ok;
          rejected += r.rejected;
        } else if (r) ok++;
        else rejected++;
      } catch (e) {
        errors++;
        firstError ??= e;
      }
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (Date.now() - lastPrint >= 1000) {
        const now = Date.now();
        process.stdout.write(`  ${label}: ${Math.round(((ok - lastOk) * 1000) / (now - lastPrint))}/s\r`);
        lastPrint = now;
        lastOk = ok;
      }
    }
  };
  await Promise.all(Array.from({ length: callers }, worker));
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  const r = { label, rate: ok / secs, p50: pct(50), p99: pct(99), ok, rejected, errors };
  process.stdout.write(' '.repeat(60) + '\r');
  log(
    `  ${label.padEnd(44)} ${r.rate.toFixed(0).padStart(7)}/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  (${ok} ok, ${rejected} rejected, ${errors} errors)`,
  );
  if (firstError) log(`    first error: ${firstError.message}`);
  return r;
}

function reserveVia(client, pick) {
  return async () => {
    const productId = pick();
    const res = await unary(client, 'reserve', {
      orderId: randomUUID(),
      lines: [{ lineId: '1', productId, size: '', quantity: 1 }],
    });
    return res.status === pb.ReserveStatus.RESERVE_STATUS_RESERVED;
  };
}

/** ReserveBatch: BATCH orders of one line, one unit each, per call; an entry that errs counts as an error. */
function reserveBatchVia(client, pick) {
  return async () => {
    const reservations = Array.from({ length: BATCH }, () => ({ orderId: randomUUID(), lines: [{ lineId: '1', productId: pick(), size: '', quantity: 1 }] }));
    const res = await unary(client, 'reserveBatch', { reservations });
    let ok = 0;
    let rejected = 0;
    for (const r of res.results) {
      if (r.result?.$case !== 'response') throw new Error(`entry failed: ${r.result?.error?.code}`);
      if (r.result.response.status === pb.ReserveStatus.RESERVE_STATUS_RESERVED) ok++;
      else rejected++;
    }
    return { ok, rejected };
  };
}

/** The bare per-request reserve transaction on one row (what the service replaces with batches). */
function bareReserveTx(pool, pick) {
  return async () => {
    const { productId, stockId } = pick();
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query({ name: 'b_lock', text: 'SELECT available FROM stock WHERE id = $1 FOR UPDATE', values: [stockId] });
      const u = await c.query({
        name: 'b_upd',
        text: 'UPDATE stock SET available = available - 1, reserved = reserved + 1 WHERE id = $1 AND available >= 1',
        values: [stockId],
      });
      if (u.rowCount !== 1) {
        await c.query('ROLLBACK');
        return false;
      }
      const orderId = randomUUID();
      await c.query({
        name: 'b_res',
        text: `INSERT INTO reservations (order_id, line_id, stock_id, product_id, size, quantity, expires_at)
               VALUES ($1, '1', $2, $3, '', 1, now() + interval '20 minutes')`,
        values: [orderId, stockId, productId],
      });
      await c.query({
        name: 'b_out',
        text: `INSERT INTO outbox (event_id, topic, key, type, payload) VALUES ($1, 'inventory.events', $2, 'stock.reserved', $3)`,
        values: [randomUUID(), orderId, JSON.stringify({ order_id: orderId })],
      });
      await c.query('COMMIT');
      return true;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  };
}

/** The bare conditional UPDATE, one autocommit statement. */
function bareUpdate(pool, pick) {
  return async () => {
    const { stockId } = pick();
    const u = await pool.query({
      name: 'b_cond',
      text: 'UPDATE stock SET available = available - 1, reserved = reserved + 1 WHERE id = $1 AND available >= 1',
      values: [stockId],
    });
    return u.rowCount === 1;
  };
}

/**
 * The reservation engine in this process, without gRPC (same code as the service, from its
 * dist/): shows how much of the gRPC figure is transport.
 */
async function startEngine() {
  const dist = path.join(SERVICE, 'dist');
  const { ReservationEngine } = require(path.join(dist, 'app/reservation-engine'));
  const { ReservationStore, createReservationSql, createReservationPool } = require(path.join(dist, 'infra/reservation-store'));
  const { StockLocks } = require(path.join(dist, 'infra/stock-locks'));
  const { createRedis, redisReady } = require(path.join(dist, 'infra/redis'));
  const pino = require('pino');
  // The store runs on the shared SQL runner since issue 16 (a pg pool before: an older build, for an A/B).
  const db = createReservationSql ? createReservationSql(DATABASE_URL, POOL) : createReservationPool(DATABASE_URL, POOL);
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  await redisReady(redis);
  const engine = new ReservationEngine({
    store: new ReservationStore(db),
    locks: new StockLocks({ redis, namespace: `bench:${randomUUID()}:`, ttlMs: 5000, acquireTimeoutMs: 3000 }),
    logger: pino({ level: 'warn' }),
    defaultTtlSeconds: 1200,
  });
  const reserve = (pick) => async () => {
    const out = await engine.reserve({ order_id: randomUUID(), lines: [{ line_id: '1', product_id: pick(), size: null, quantity: 1 }] });
    return out.status === 'reserved';
  };
  return { reserve, close: async () => (await engine.drain(), await (db.close ? db.close() : db.end()), redis.disconnect()) };
}

async function oversold(pool, rows) {
  // A row is oversold if a counter went negative or more is reserved than its reservations hold
  // (the bare UPDATE baseline writes no reservations: its rows are only checked for conservation).
  const { rows: bad } = await pool.query(
    `SELECT s.id FROM stock s
      WHERE s.id = ANY($1::uuid[])
        AND (s.available < 0 OR s.reserved < 0 OR s.available + s.reserved + s.sold <> $2
             OR ($3 AND s.reserved <> (SELECT coalesce(sum(quantity), 0) FROM reservations r
                                       WHERE r.stock_id = s.id AND r.status = 'reserved')))`,
    [rows.map((r) => r.stockId), BIG, true],
  );
  return bad.length;
}

async function main() {
  log(`inventory reservation bench: ${SECONDS}s per case, ${CONCURRENCY} concurrent callers, pg pool ${POOL}, ${PRODUCTS} products spread`);
  await ensureDatabase();
  const pool = new Pool({ connectionString: DATABASE_URL, max: POOL });
  const svcHot = await seed(pool, 1, BIG);
  const svcSpread = await seed(pool, PRODUCTS, BIG);
  const bareHot = await seed(pool, 1, BIG);
  const bareSpread = await seed(pool, PRODUCTS, BIG);
  const engHot = await seed(pool, 1, BIG);
  const engSpread = await seed(pool, PRODUCTS, BIG);
  const { child, client } = await startService();
  const inProcess = await startEngine();
  const rnd = (list) => () => list[Math.floor(Math.random() * list.length)];
  try {
    // Warm-up: connections, prepared statements, the service's product cache, JIT.
    await measure(
      'warm-up (gRPC, spread)',
      reserveVia(client, () => rnd(svcSpread)().productId),
    ).catch(() => undefined);
    // The transport's own ceiling in this run: an RPC that touches neither Redis nor PostgreSQL.
    const ping = await measure('gRPC no-op (GetProducts of no ids)', async () => {
      await unary(client, 'getProducts', { ids: [] });
      return true;
    });
    const only = process.env.BENCH_ONLY;
    const skipped = { rate: NaN, p50: NaN, p99: NaN };
    let a = skipped,
      a0 = skipped,
      ae = skipped,
      b = skipped,
      bb = skipped,
      b0 = skipped,
      be = skipped;
    if (only !== 'spread') {
      log('(a) one hot product');
      a = await measure(
        'gRPC Reserve, 1 product',
        reserveVia(client, () => svcHot[0].productId),
      );
      a0 = await measure(
        'bare reserve transaction, 1 row',
        bareReserveTx(pool, () => bareHot[0]),
      );
      ae = await measure(
        'engine in-process (no gRPC), 1 product',
        inProcess.reserve(() => engHot[0].productId),
      );
    }
    if (only !== 'hot') {
      log('(b) spread over ' + PRODUCTS + ' products');
      b = await measure(
        `gRPC Reserve, ${PRODUCTS} products`,
        reserveVia(client, () => rnd(svcSpread)().productId),
      );
      bb = await measure(
        `gRPC ReserveBatch ×${BATCH} (${BATCH_CONCURRENCY} callers), ${PRODUCTS} products`,
        reserveBatchVia(client, () => rnd(svcSpread)().productId),
        BATCH_CONCURRENCY,
      );
      b0 = await measure(`bare conditional UPDATE, ${PRODUCTS} rows`, bareUpdate(pool, rnd(bareSpread)));
      be = await measure(
        `engine in-process (no gRPC), ${PRODUCTS} products`,
        inProcess.reserve(() => rnd(engSpread)().productId),
      );
    }
    const bad = await oversold(pool, [...svcHot, ...svcSpread, ...bareHot, ...engHot, ...engSpread]);
    log('');
    log('summary');
    log(
      `  (a) hot:    ${a.rate.toFixed(0)}/s via gRPC vs ${a0.rate.toFixed(0)}/s bare  → ratio ${(a.rate / a0.rate).toFixed(2)}  (target ≥ 1000/s and ≥ 0.50)`,
    );
    log(`  (b) spread: ${b.rate.toFixed(0)}/s via gRPC vs ${b0.rate.toFixed(0)}/s bare  → ratio ${(b.rate / b0.rate).toFixed(2)}  (target ≥ 5000/s)`);
    log(
      `  (b) spread through ReserveBatch (${BATCH} per call): ${bb.rate.toFixed(0)}/s vs ${b0.rate.toFixed(0)}/s bare  → ratio ${(bb.rate / b0.rate).toFixed(2)}  (target ≥ 5000/s); p50/p99 per call ${bb.p50.toFixed(2)}/${bb.p99.toFixed(2)} ms`,
    );
    log(
      `  engine without gRPC (same code, in this process): hot ${ae.rate.toFixed(0)}/s (${(ae.rate / a0.rate).toFixed(2)}x bare), spread ${be.rate.toFixed(0)}/s (${(be.rate / b0.rate).toFixed(2)}x bare)`,
    );
    log(`  gRPC transport ceiling in this run (no-op RPC): ${ping.rate.toFixed(0)}/s, p50 ${ping.p50.toFixed(2)} ms`);
    log(`  gRPC p50/p99: hot ${a.p50.toFixed(2)}/${a.p99.toFixed(2)} ms, spread ${b.p50.toFixed(2)}/${b.p99.toFixed(2)} ms`);
    log(`  oversold rows: ${bad} (must be 0)`);
    if (bad !== 0) process.exitCode = 1;
  } finally {
    client.close();
    await inProcess.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await pool.end();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
