#!/usr/bin/env node
// Cart HTTP benchmark (not a test): requests/s and p50/p99 latency of cart reads
// (GET /api/v1/carts/) and adds (POST /api/v1/carts/add/) through the REST API over real HTTP
// (keep-alive connections, autocannon), printed beside fastify's own bare route (GET /bare, a
// constant JSON) and the same route plus one node-postgres query of a cart read's shape (GET
// /bare-db), both measured in the same run with the same clients, with the ratios.
//
// Runs the real cart service (services/cart/dist/main.js) as a child process on a database of
// its own (cart_bench, created and migrated here), Kafka consumers off, with an inventory peer
// (bench/cart/inventory-peer.js: grpc-js InventoryService, products in memory) that every add
// asks for stock and price (one GetProducts per request). Build first:
//   npx turbo run build --filter=@sudamall/cart && node bench/cart/cart-bench.js
// Knobs: BENCH_SECONDS (10 per case), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (32),
// BENCH_BUYERS (200), BENCH_PRODUCTS (100), BENCH_ITEMS_PER_CART (5), BENCH_POOL (10, the
// service's pg pool), BENCH_CPU_PROF (a folder: profile the service), BENCH_CASES (which cases
// to run, comma-separated, of bare,bare-db,reads,adds: all by default; `reads` alone profiles a
// read without the adds in the same profile), PGHOST/PGPORT (127.0.0.1:5432).
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const { randomBytes, randomUUID } = require('node:crypto');
const net = require('node:net');
const path = require('node:path');
const readline = require('node:readline');
const autocannon = require('autocannon');
const { Client } = require('pg');
const { signToken } = require('@sudamall/shared');
const { cpuMs, pidsMatching } = require('../order/process-stats');

const ROOT = path.resolve(__dirname, '../..');
const SERVICE = path.join(ROOT, 'services/cart');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const BUYERS = Number(process.env.BENCH_BUYERS ?? 200);
const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 100);
const ITEMS_PER_CART = Number(process.env.BENCH_ITEMS_PER_CART ?? 5);
const POOL = Number(process.env.BENCH_POOL ?? 10);
const CASES = new Set((process.env.BENCH_CASES ?? 'bare,bare-db,reads,adds').split(',').map((c) => c.trim()));
const PG = `postgresql://sudamall:sudamall@${process.env.PGHOST ?? '127.0.0.1'}:${process.env.PGPORT ?? 5432}`;
const DB = 'cart_bench';
const DATABASE_URL = `${PG}/${DB}`;
// NODE_ENV=production refuses a secret written in the repository: one per run.
const JWT_SECRET = randomBytes(48).toString('hex');

const children = [];
let stopping = false;
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
  // Each run starts from empty carts, so runs are comparable.
  const db = new Client({ connectionString: DATABASE_URL });
  await db.connect();
  await db.query('TRUNCATE carts, cart_items, cart_changes, checkouts CASCADE');
  await db.end();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts a child that prints its port as its first stdout line; resolves to `{ port, pid }`. */
function startPrintingPort(script, env = {}, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    readline.createInterface({ input: child.stdout }).once('line', (line) => resolve({ port: Number(line.trim()), pid: child.pid }));
  });
}

/** With BENCH_CPU_PROF, the service and the baselines' server are CPU-profiled into that folder. */
const profileArgs = () => (process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : []);

async function startCart(inventoryPort) {
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const child = spawn(process.execPath, [...profileArgs(), 'dist/main.js'], {
    cwd: SERVICE,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      JWT_HS256_IN_PRODUCTION: 'true', // the bench signs its own HS256 tokens; no identity provider here
      RATE_LIMIT_MAX: '0', // production limits each caller by default; the bench is one address measuring throughput
      LOG_LEVEL: 'warn',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      DATABASE_URL,
      DATABASE_POOL_SIZE: String(POOL),
      JWT_SECRET,
      INVENTORY_GRPC_URL: `127.0.0.1:${inventoryPort}`,
      ORDER_GRPC_URL: '127.0.0.1:1',
      CONSUMERS_ENABLED: 'false',
      ...(process.env.OTEL_SDK_DISABLED ? { OTEL_SDK_DISABLED: process.env.OTEL_SDK_DISABLED } : {}),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) log(`cart service exited unexpectedly (code ${code}, signal ${signal}): figures after this point are void`);
  });
  const url = `http://127.0.0.1:${httpPort}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`cart exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return { url, pid: child.pid };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('cart did not become ready');
}

function run(opts) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, pipelining: 1, ...opts }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

const pick = (list) => list[Math.floor(Math.random() * list.length)];
const shuffled = (list) =>
  list
    .map((x) => [Math.random(), x])
    .sort((a, b) => a[0] - b[0])
    .map(([, x]) => x);

// CPU per answered request of the server under test, of PostgreSQL (the bench database's
// backends) and of the load generator (this process), read from /proc around each case: what a
// request costs, not only how many fit in the seconds (the machine is shared and noisy). Per
// process, so a backend the pool closes during a case only leaves its own time out.
const cpuOf = (pids) => new Map(pids.map((pid) => [pid, cpuMs(pid) ?? 0]));
const postgresPids = () => pidsMatching(new RegExp(`postgres: .* ${DB} `));
function cpuSince(before, after) {
  let ms = 0;
  for (const [pid, now] of after) ms += now - (before.get(pid) ?? 0);
  return ms;
}

async function measure(name, opts, serverPid) {
  if (WARMUP > 0) await run({ ...opts, duration: WARMUP });
  const cpuBefore = { server: cpuOf([serverPid]), postgres: cpuOf(postgresPids()), load: cpuOf([process.pid]) };
  const r = await run({ ...opts, duration: SECONDS });
  const cpuAfter = { server: cpuOf([serverPid]), postgres: cpuOf(postgresPids()), load: cpuOf([process.pid]) };
  const perRequestUs = (k) => (cpuSince(cpuBefore[k], cpuAfter[k]) * 1000) / Math.max(r.requests.total, 1);
  const row = {
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    cpu: { server: perRequestUs('server'), postgres: perRequestUs('postgres'), load: perRequestUs('load') },
  };
  log(
    `${name.padEnd(30)} ${row.rps.toFixed(0).padStart(8)} req/s   p50 ${String(row.p50).padStart(4)} ms   p99 ${String(row.p99).padStart(4)} ms   ` +
      `CPU/request: server ${row.cpu.server.toFixed(0).padStart(4)} µs, postgres ${row.cpu.postgres.toFixed(0).padStart(4)} µs, load ${row.cpu.load.toFixed(0).padStart(4)} µs   ` +
      `(${row.total} requests, ${row.non2xx} non-2xx, ${row.errors} errors)`,
  );
  return row;
}

async function main() {
  await ensureDatabase();
  const { port: inventoryPort } = await startPrintingPort(path.join(__dirname, 'inventory-peer.js'), { BENCH_PRODUCTS: String(PRODUCTS) });
  const { port: barePort, pid: barePid } = await startPrintingPort(
    path.join(__dirname, 'bare-server.js'),
    { DATABASE_URL, BENCH_POOL: String(POOL) },
    profileArgs(),
  );
  const { url: cartUrl, pid: cartPid } = await startCart(inventoryPort);

  const buyers = Array.from({ length: BUYERS }, () => `Bearer ${signToken({ sub: randomUUID(), role: 'buyer' }, { secret: JWT_SECRET, expiresIn: '1h' })}`);
  const products = Array.from({ length: PRODUCTS }, (_, n) => `bench-${n}`);

  // Every buyer's cart holds ITEMS_PER_CART lines before the reads are measured.
  for (const auth of buyers) {
    for (let k = 0; k < ITEMS_PER_CART; k++) {
      const res = await fetch(`${cartUrl}/api/v1/carts/add/`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ product_id: products[(k * 7 + buyers.indexOf(auth)) % PRODUCTS], quantity: 1 }),
      });
      if (res.status >= 300) throw new Error(`seeding failed: ${res.status} ${await res.text()}`);
    }
  }

  log(
    `cart HTTP benchmark: ${SECONDS} s per case (after ${WARMUP} s warm-up), ${CONNECTIONS} keep-alive connections, ` +
      `${BUYERS} buyers with ${ITEMS_PER_CART} items each, ${PRODUCTS} products, cart pg pool ${POOL}, ` +
      `inventory peer over gRPC (in-memory), ${require('node:os').cpus().length} CPUs shared with the load generator`,
  );
  const skipped = { rps: NaN, p50: NaN, p99: NaN, total: 0, non2xx: 0, errors: 0, cpu: { server: NaN, postgres: NaN, load: NaN } };
  const measureIf = (key, ...args) => (CASES.has(key) ? measure(...args) : skipped);
  const bare = await measureIf('bare', 'bare fastify GET /bare', { url: `http://127.0.0.1:${barePort}/bare` }, barePid);
  const bareDb = await measureIf('bare-db', 'bare fastify + 1 pg query', { url: `http://127.0.0.1:${barePort}/bare-db` }, barePid);
  const reads = await measureIf(
    'reads',
    'GET /api/v1/carts/',
    {
      url: `${cartUrl}/api/v1/carts/`,
      // One request per buyer, built once, in a shuffled order every connection cycles through:
      // a setupRequest makes autocannon build each request anew, which cost the load generator
      // (on the same two cores) twice the CPU per request it spends on the baselines' static URL.
      requests: shuffled(buyers).map((authorization) => ({ method: 'GET', headers: { authorization } })),
    },
    cartPid,
  );
  const adds = await measureIf(
    'adds',
    'POST /api/v1/carts/add/',
    {
      url: `${cartUrl}/api/v1/carts/add/`,
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => ({
            ...req,
            headers: { ...req.headers, authorization: pick(buyers), 'content-type': 'application/json' },
            body: JSON.stringify({ product_id: pick(products), quantity: 1 }),
          }),
        },
      ],
    },
    cartPid,
  );
  log('');
  log(`ratio to the bare route (req/s): reads ${(reads.rps / bare.rps).toFixed(3)}, adds ${(adds.rps / bare.rps).toFixed(3)}`);
  log(
    `cart reads vs the bare route + one pg query (the floor of a database-backed read): ${(reads.rps / bareDb.rps).toFixed(2)}× the req/s, p99 ${(reads.p99 / Math.max(bareDb.p99, 1)).toFixed(1)}×`,
  );
  const total = (row) => row.cpu.server + row.cpu.postgres + row.cpu.load;
  log(
    `CPU per request vs the bare route + one pg query: reads ${(reads.cpu.server / Math.max(bareDb.cpu.server, 1)).toFixed(2)}× in the server, ` +
      `${(reads.cpu.postgres / Math.max(bareDb.cpu.postgres, 1)).toFixed(2)}× in PostgreSQL, ${(total(reads) / Math.max(total(bareDb), 1)).toFixed(2)}× with the load generator`,
  );
  log(`p99 vs bare: reads ${(reads.p99 / Math.max(bare.p99, 1)).toFixed(1)}x, adds ${(adds.p99 / Math.max(bare.p99, 1)).toFixed(1)}x`);
  const failed = reads.non2xx + adds.non2xx + reads.errors + adds.errors;
  if (failed > 0) {
    log(`FAILED: ${failed} requests were not answered with 2xx`);
    process.exitCode = 1;
  }
}

async function stopChildren() {
  stopping = true;
  // The service first, and the peer only once it has gone: requests still in flight when the
  // load stops would otherwise log the peer's refused connections.
  const [cart, ...others] = [...children].reverse();
  if (cart && cart.exitCode === null) {
    cart.kill('SIGTERM');
    await new Promise((resolve) => {
      cart.once('exit', resolve);
      setTimeout(resolve, 2000).unref();
    });
  }
  for (const c of others) if (c.exitCode === null) c.kill('SIGTERM');
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    setTimeout(() => process.exit(), 5000).unref();
    await stopChildren();
  });
