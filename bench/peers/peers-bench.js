#!/usr/bin/env node
// Peers benchmark (not a test): our checkout beside the checkout of a server a team could pick
// instead, measured in the same run on the same machine with the same load. The peer is Vendure
// (npm @vendure/core, pinned in bench/peers/vendure/package.json and package-lock.json, installed
// by bench/peers/run.sh into .local/peers/vendure, outside the npm workspaces), on PostgreSQL.
//
//   1. Ours: bench/order/checkout-bench.js as it is (BENCH_SECONDS, BENCH_CONCURRENCY), then its
//      oversell storm (BENCH_STORM_SHOPPERS buyers at once, one unit each, of BENCH_STORM_UNITS).
//   2. Vendure (bench/peers/vendure/server.js, one process) on a new database `vendure_bench`, set
//      up through its Admin API: a country in a zone that is the channel's tax and shipping zone,
//      a tax rate, a flat-rate shipping method, a payment method with the dummy handler settling at
//      once, and products whose variants track their stock. Then the same number of concurrent
//      shoppers for the same time, each doing Vendure's Shop API checkout as a guest, one GraphQL
//      request after the other: addItemToOrder, setCustomerForOrder, setOrderShippingAddress,
//      setOrderShippingMethod, transitionOrderToState(ArrangingPayment), addPaymentToOrder
//      (answered PaymentSettled: paid, its stock allocated). Then the same oversell storm.
//   3. Both side by side, and the ratio.
//
// Checkouts/s: ours as bench/order counts them, orders placed inside the measured window that
// reached `processing` (paid, stock confirmed) inside it; Vendure's, checkouts whose
// addPaymentToOrder answered PaymentSettled inside the window (wherever they started: a window
// shorter than Vendure's latency under load would otherwise count none). The two agree once the
// window is long beside the latency (60 s against a few seconds); p50/p99 are of those checkouts. CPU per checkout is read from /proc as bench/order reads it: the
// servers' processes (ours: three services, Kafka, PostgreSQL, Redis; Vendure: its process and
// PostgreSQL), the load generator, the whole machine. PostgreSQL counts every backend of the
// machine's cluster, as in bench/order.
//
// Knobs: BENCH_SECONDS (60), BENCH_WARMUP_SECONDS (10), BENCH_CONCURRENCY (32),
// BENCH_STORM_SHOPPERS (200), BENCH_STORM_UNITS (50), BENCH_PEERS_OURS (0: skip ours, to look at
// Vendure alone), VENDURE_DIR (.local/peers/vendure), PGHOST/PGPORT (127.0.0.1:5432), and
// bench/order's own knobs for ours.
'use strict';
const { spawn } = require('node:child_process');
const { randomUUID, randomBytes } = require('node:crypto');
const { readFileSync, rmSync } = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('pg');
const { ProcessGroups, pidsMatching, machineCpuMs } = require('../order/process-stats');
const { createHttpClient } = require('../lib/http-client');

const ROOT = path.resolve(__dirname, '../..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const STORM_SHOPPERS = Number(process.env.BENCH_STORM_SHOPPERS ?? 200);
const STORM_UNITS = Number(process.env.BENCH_STORM_UNITS ?? 50);
const VENDURE_DIR = path.resolve(ROOT, process.env.VENDURE_DIR ?? '.local/peers/vendure');
const PG_HOST = process.env.PGHOST ?? '127.0.0.1';
const PG_PORT = Number(process.env.PGPORT ?? 5432);
const PG = `postgresql://sudamall:sudamall@${PG_HOST}:${PG_PORT}`;
const DATABASE = 'vendure_bench';
const SUPERADMIN_PASSWORD = randomBytes(18).toString('hex');

const log = (...a) => console.log(...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (n, d = 0) => (n === undefined || n === null || Number.isNaN(n) ? '-' : n.toFixed(d));
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const pct = (s, p) => (s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN);
let vendure; // the server's child process
// Vendure's shoppers' HTTP client; per origin, as many sockets as requests in flight at once.
const client = createHttpClient({ maxSockets: Math.max(CONCURRENCY, STORM_SHOPPERS) });

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

async function admin(sql) {
  const c = new Client({ connectionString: `${PG}/postgres` });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Ours: bench/order's checkout bench and storm in a process of its own; its figures come back as JSON. */
function runOurs() {
  const resultFile = path.join(os.tmpdir(), `peers-ours-${process.pid}.json`);
  const env = { ...process.env, BENCH_STORM_SHOPPERS: String(STORM_SHOPPERS), BENCH_STORM_UNITS: String(STORM_UNITS), BENCH_RESULT_FILE: resultFile };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bench/order/checkout-bench.js')], { cwd: ROOT, env, stdio: 'inherit' });
    child.on('exit', (code) => {
      let result;
      try {
        result = JSON.parse(readFileSync(resultFile, 'utf8'));
        rmSync(resultFile);
      } catch {
        result = undefined;
      }
      resolve({ code, result });
    });
  });
}

/**
 * A GraphQL client of one Vendure API that keeps the session's bearer token, as a storefront does.
 * Through the same keep-alive client as our services' buyers (bench/lib/http-client.js), so the
 * load generator costs both sides the same.
 */
function graphql(endpoint) {
  let token;
  return async (query, variables) => {
    const res = await client.request('POST', endpoint, {
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    token = res.headers['vendure-auth-token'] ?? token;
    const { json } = res;
    if (!res.ok || !json || json.errors) throw new Error(`${endpoint} → ${res.status} ${JSON.stringify(json?.errors ?? json)}`);
    const [value] = Object.values(json.data);
    // Vendure answers a refused operation as an ErrorResult inside `data`.
    if (value && value.errorCode) throw Object.assign(new Error(`${value.errorCode}: ${value.message}`), { code: value.errorCode });
    return value;
  };
}

async function startVendure() {
  await admin(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
  await admin(`CREATE DATABASE "${DATABASE}"`);
  const port = await freePort();
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    VENDURE_DIR,
    VENDURE_PORT: String(port),
    VENDURE_DATABASE: DATABASE,
    VENDURE_SUPERADMIN_PASSWORD: SUPERADMIN_PASSWORD,
    PGHOST: PG_HOST,
    PGPORT: String(PG_PORT),
    PGUSER: 'sudamall',
    PGPASSWORD: 'sudamall',
  };
  const t0 = Date.now();
  // --no-deprecation: TypeORM overlaps queries on one pg client, which pg 8.23 warns about once.
  vendure = spawn(process.execPath, ['--no-deprecation', path.join(__dirname, 'vendure/server.js')], {
    cwd: VENDURE_DIR,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    let out = '';
    vendure.stdout.on('data', (d) => {
      out += d;
      if (/^ready$/m.test(out)) resolve();
    });
    vendure.once('exit', (code) => reject(new Error(`Vendure exited with ${code} before it was ready`)));
    setTimeout(() => reject(new Error('Vendure was not ready within 300 s')), 300_000).unref();
  });
  log(`Vendure ready on 127.0.0.1:${port} in ${((Date.now() - t0) / 1000).toFixed(1)} s (schema created by TypeORM)`);
  return { shop: `http://127.0.0.1:${port}/shop-api`, adminApi: `http://127.0.0.1:${port}/admin-api` };
}

/** Country, zone, tax, shipping, payment and products through the Admin API, as an operator would. */
async function setUp(adminApi) {
  const a = graphql(adminApi);
  await a(`mutation($p: String!) { login(username: "superadmin", password: $p) { ... on CurrentUser { id } ... on ErrorResult { errorCode message } } }`, {
    p: SUPERADMIN_PASSWORD,
  });
  const country = await a(`mutation { createCountry(input: { code: "CL", enabled: true, translations: [{ languageCode: en, name: "Chile" }] }) { id } }`);
  const zone = await a(`mutation($c: ID!) { createZone(input: { name: "Chile", memberIds: [$c] }) { id } }`, { c: country.id });
  const channel = await a(`query { activeChannel { id } }`);
  await a(
    `mutation($id: ID!, $z: ID!) { updateChannel(input: { id: $id, defaultTaxZoneId: $z, defaultShippingZoneId: $z }) { ... on Channel { id } ... on ErrorResult { errorCode message } } }`,
    { id: channel.id, z: zone.id },
  );
  const taxCategory = await a(`mutation { createTaxCategory(input: { name: "Standard", isDefault: true }) { id } }`);
  await a(`mutation($c: ID!, $z: ID!) { createTaxRate(input: { name: "IVA", enabled: true, value: 19, categoryId: $c, zoneId: $z }) { id } }`, {
    c: taxCategory.id,
    z: zone.id,
  });
  const shipping = await a(`mutation {
    createShippingMethod(input: {
      code: "standard", fulfillmentHandler: "manual-fulfillment",
      checker: { code: "default-shipping-eligibility-checker", arguments: [{ name: "orderMinimum", value: "0" }] },
      calculator: { code: "default-shipping-calculator", arguments: [{ name: "rate", value: "500" }, { name: "includesTax", value: "auto" }, { name: "taxRate", value: "0" }] },
      translations: [{ languageCode: en, name: "Standard", description: "" }]
    }) { id } }`);
  await a(`mutation {
    createPaymentMethod(input: {
      code: "dummy", enabled: true,
      handler: { code: "dummy-payment-handler", arguments: [{ name: "automaticSettle", value: "true" }] },
      translations: [{ languageCode: en, name: "Dummy" }]
    }) { id } }`);
  const product = async (name, stockOnHand) => {
    const p = await a(
      `mutation($n: String!, $s: String!) { createProduct(input: { enabled: true, translations: [{ languageCode: en, name: $n, slug: $s, description: "" }] }) { id } }`,
      {
        n: name,
        s: name.toLowerCase().replace(/\W+/g, '-'),
      },
    );
    const [variant] = await a(
      `mutation($p: ID!, $n: String!, $sku: String!, $t: ID!, $stock: Int!) {
        createProductVariants(input: [{ productId: $p, sku: $sku, price: 1000, taxCategoryId: $t, stockOnHand: $stock, trackInventory: TRUE,
          translations: [{ languageCode: en, name: $n }] }]) { id } }`,
      { p: p.id, n: name, sku: name.toUpperCase().replace(/\W+/g, '-'), t: taxCategory.id, stock: stockOnHand },
    );
    return variant.id;
  };
  return {
    a,
    shippingMethodId: shipping.id,
    benchVariant: await product('Bench product', 10_000_000),
    stormVariant: await product('Storm product', STORM_UNITS),
  };
}

/** One guest checkout through the Shop API; resolves with the order's final state. */
async function checkout(shop, shippingMethodId, variantId) {
  const s = graphql(shop);
  const id = randomUUID();
  await s(
    `mutation($v: ID!) { addItemToOrder(productVariantId: $v, quantity: 1) { __typename ... on Order { id } ... on ErrorResult { errorCode message } } }`,
    { v: variantId },
  );
  await s(
    `mutation($e: String!) { setCustomerForOrder(input: { emailAddress: $e, firstName: "Bench", lastName: "Shopper" }) { __typename ... on ErrorResult { errorCode message } } }`,
    {
      e: `shopper-${id}@bench.test`,
    },
  );
  await s(`mutation { setOrderShippingAddress(input: { fullName: "Bench Shopper", streetLine1: "Calle 1", city: "Santiago", postalCode: "8320000", countryCode: "CL" }) {
    __typename ... on ErrorResult { errorCode message } } }`);
  await s(`mutation($m: [ID!]!) { setOrderShippingMethod(shippingMethodId: $m) { __typename ... on ErrorResult { errorCode message } } }`, {
    m: [shippingMethodId],
  });
  await s(`mutation { transitionOrderToState(state: "ArrangingPayment") { __typename ... on Order { state } ... on ErrorResult { errorCode message } } }`);
  const order = await s(
    `mutation { addPaymentToOrder(input: { method: "dummy", metadata: {} }) { __typename ... on Order { state } ... on ErrorResult { errorCode message } } }`,
  );
  if (order.state !== 'PaymentSettled') throw Object.assign(new Error(`order ended ${order.state}`), { code: order.state });
  return order.state;
}

async function benchVendure() {
  const { shop, adminApi } = await startVendure();
  const { a, shippingMethodId, benchVariant, stormVariant } = await setUp(adminApi);
  const groups = new ProcessGroups(
    { vendure: () => [vendure.pid], postgres: () => pidsMatching(/^postgres/), bench: () => [process.pid] },
    { pssGroups: ['postgres'] },
  );

  let stopping = false;
  let window; // { start, end } once measuring
  const done = []; // latencies of the checkouts that ended in the window
  let failures = 0;
  const workers = Array.from({ length: CONCURRENCY }, async () => {
    while (!stopping) {
      const t0 = Date.now();
      try {
        await checkout(shop, shippingMethodId, benchVariant);
        const t1 = Date.now();
        if (window && t1 >= window.start && t1 <= (window.end ?? Infinity)) done.push(t1 - t0);
      } catch (err) {
        failures++;
        if (failures <= 5) console.error(String(err));
      }
    }
  });
  log(`Vendure: ${CONCURRENCY} concurrent shoppers, ${WARMUP_SECONDS} s warm-up, ${SECONDS} s measured`);
  await sleep(WARMUP_SECONDS * 1000);
  const cpu0 = groups.cpu();
  const busy0 = machineCpuMs().busy;
  window = { start: Date.now() };
  await sleep(SECONDS * 1000);
  window.end = Date.now();
  const cpu1 = groups.cpu();
  const busy1 = machineCpuMs().busy;
  stopping = true;
  await Promise.all(workers);
  const wall = (window.end - window.start) / 1000;
  const l = sorted(done);
  const n = l.length || NaN; // no checkout ended: no CPU per checkout either
  const result = {
    seconds: wall,
    concurrency: CONCURRENCY,
    failures,
    rate: l.length / wall,
    p50: pct(l, 50),
    p99: pct(l, 99),
    cpuPerOrderMs: { ...Object.fromEntries(Object.keys(cpu0).map((g) => [g, (cpu1[g] - cpu0[g]) / n])), machine: (busy1 - busy0) / n },
  };

  // The oversell storm: every shopper at once, one unit each, of STORM_UNITS.
  const outcomes = {};
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: STORM_SHOPPERS }, async () => {
      const outcome = await checkout(shop, shippingMethodId, stormVariant).catch((err) => err.code ?? 'error');
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }),
  );
  const answeredMs = Date.now() - t0;
  const variant = await a(`query($id: ID!) { productVariant(id: $id) { stockOnHand stockAllocated } }`, { id: stormVariant });
  const sold = outcomes.PaymentSettled ?? 0;
  result.storm = { shoppers: STORM_SHOPPERS, units: STORM_UNITS, answeredMs, outcomes, stock: variant, sold, oversold: Math.max(0, sold - STORM_UNITS) };
  return result;
}

async function stopVendure() {
  if (!vendure || vendure.exitCode !== null) return;
  const exited = new Promise((r) => vendure.once('exit', r));
  vendure.kill('SIGTERM');
  await Promise.race([exited, sleep(20_000)]);
  if (vendure.exitCode === null) vendure.kill('SIGKILL');
}

function printSideBySide(ours, peer) {
  const cpu = (r, names) => names.reduce((a, g) => a + (r.cpuPerOrderMs[g] ?? 0), 0);
  const oursServers = ours && cpu(ours, ['inventory', 'order', 'payment', 'cart', 'kafka', 'postgres', 'redis']);
  const peerServers = cpu(peer, ['vendure', 'postgres']);
  const ratio = (x, y) => (x !== undefined && y ? `${fmt(x / y, 2)}×` : '-');
  log('');
  log(`side by side (${CONCURRENCY} concurrent shoppers, ${SECONDS} s each, same machine, one after the other):`);
  const rows = [
    ['', 'Sudamall (→ processing)', 'Vendure 3.7 (→ PaymentSettled)', 'Sudamall ÷ Vendure'],
    ['checkouts/s', fmt(ours?.processing.rate, 1), fmt(peer.rate, 1), ratio(ours?.processing.rate, peer.rate)],
    ['p50 ms', fmt(ours?.processing.p50), fmt(peer.p50), ratio(ours?.processing.p50, peer.p50)],
    ['p99 ms', fmt(ours?.processing.p99), fmt(peer.p99), ratio(ours?.processing.p99, peer.p99)],
    ['CPU ms/checkout, servers', fmt(oursServers, 1), fmt(peerServers, 1), ratio(oursServers, peerServers)],
    [
      '  of which PostgreSQL',
      fmt(ours?.cpuPerOrderMs.postgres, 1),
      fmt(peer.cpuPerOrderMs.postgres, 1),
      ratio(ours?.cpuPerOrderMs.postgres, peer.cpuPerOrderMs.postgres),
    ],
    ['CPU ms/checkout, load generator', fmt(ours?.cpuPerOrderMs.bench, 1), fmt(peer.cpuPerOrderMs.bench, 1), ''],
    [
      'CPU ms/checkout, whole machine',
      fmt(ours?.cpuPerOrderMs.machine, 1),
      fmt(peer.cpuPerOrderMs.machine, 1),
      ratio(ours?.cpuPerOrderMs.machine, peer.cpuPerOrderMs.machine),
    ],
    ['failed checkouts', String(ours?.failures ?? '-'), String(peer.failures), ''],
    [
      `storm: sold of ${STORM_UNITS} (${STORM_SHOPPERS} buyers)`,
      ours?.storm ? `${ours.storm.sold} (oversold ${ours.storm.oversold})` : '-',
      `${peer.storm.sold} (oversold ${peer.storm.oversold})`,
      '',
    ],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) log(`  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}`);
  log('  (a ratio above 1 is better for Sudamall in checkouts/s, below 1 in latency and CPU)');
  if (ours)
    log(
      `  (ours to under_paying, the order placed and its stock reserved: ${fmt(ours.under_paying.rate, 1)}/s, p50 ${fmt(ours.under_paying.p50)} ms, p99 ${fmt(ours.under_paying.p99)} ms)`,
    );
  log(
    `  Vendure's storm: answers ${JSON.stringify(peer.storm.outcomes)} in ${peer.storm.answeredMs} ms; the variant's stock afterwards ${JSON.stringify(peer.storm.stock)}`,
  );
}

async function main() {
  log(
    `peers bench: ours and Vendure, ${CONCURRENCY} concurrent shoppers, ${SECONDS} s measured after ${WARMUP_SECONDS} s warm-up each; storm ${STORM_SHOPPERS} × 1 of ${STORM_UNITS}`,
  );
  let ours;
  if (process.env.BENCH_PEERS_OURS !== '0') {
    log('');
    log('== ours (bench/order)');
    const r = await runOurs();
    if (r.code !== 0) {
      console.error(`bench/order exited with ${r.code}`);
      process.exitCode = 1;
    }
    ours = r.result;
  }
  log('');
  log('== Vendure');
  const peer = await benchVendure();
  log(`Vendure: ${fmt(peer.rate, 1)} checkouts/s, p50 ${fmt(peer.p50)} ms, p99 ${fmt(peer.p99)} ms, ${peer.failures} failed`);
  printSideBySide(ours, peer);
  if (ours?.storm && ours.storm.oversold > 0) process.exitCode = 1;
}

process.on('SIGINT', () => {
  void stopVendure().then(() => process.exit(130));
});
main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopVendure();
    await admin(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`).catch(() => undefined);
    process.exit();
  });
