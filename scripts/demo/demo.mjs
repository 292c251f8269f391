#!/usr/bin/env node
// The platform's main job, narrated: a seller lists products, three buyers check out through
// the public REST API behind the gateway, exactly as a storefront would.
//   buyer 1 pays with a good card; the seller ships and delivers
//   buyer 2's card is declined, then a good card is accepted inside the payment window
//   buyer 3 lets the payment window lapse and watches the stock come back
// Usage: node scripts/demo/demo.mjs   (after `bash scripts/services.sh start`; `npm run up` does both)
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const { signToken } = require('../../packages/shared/dist/auth.js');

const BASE = process.env.SUDAMALL_BASE_URL ?? 'http://127.0.0.1:8080';
// The secret the services were started with: the caller's, else the one generated once into
// .local/secrets.env by scripts/lib/local-secrets.sh (npm run up, scripts/services.sh).
function localJwtSecret() {
  const file = new URL('../../.local/secrets.env', import.meta.url);
  try {
    const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('JWT_SECRET='));
    if (line) return line.slice('JWT_SECRET='.length).trim();
  } catch {
    // no file: said below
  }
  throw new Error('no JWT_SECRET: set it, or start the platform with `npm run up` (it generates .local/secrets.env)');
}
const SECRET = process.env.JWT_SECRET || localJwtSecret();
// Buyer 3's order alone gets a short window (order's test-mode payment_window_seconds), so the
// demo shows an expiry while every other order, then and afterwards, keeps the platform's.
const WINDOW = 20;
const run = randomUUID().slice(0, 8);

const token = (claims) => signToken(claims, { secret: SECRET, expiresIn: '2h' });
const seller = { name: 'seller', token: token({ sub: `seller-${run}`, role: 'seller', store_id: `store-${run}` }) };
const buyers = [1, 2, 3].map((n) => ({ name: `buyer ${n}`, token: token({ sub: `buyer${n}-${run}`, role: 'buyer' }) }));

let stepNo = 0;
const step = (text) => console.log(`\n\x1b[1m[${++stepNo}] ${text}\x1b[0m`);
const say = (text) => console.log(`    ${text}`);

async function call(who, method, path, body, headers = {}) {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${who.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  return { status: res.status, body: json };
}

async function must(who, method, path, body, headers) {
  const res = await call(who, method, path, body, headers);
  if (res.status >= 400) {
    throw new Error(`${who.name}: ${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

async function waitForStatus(who, orderId, wanted, timeoutMs) {
  const started = Date.now();
  let last;
  while (Date.now() - started < timeoutMs) {
    last = await must(who, 'GET', `/api/v1/orders/${orderId}/`);
    if (last.status === wanted) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`order ${orderId} is ${last?.status}, expected ${wanted} within ${timeoutMs} ms`);
}

function stockLine(stock) {
  const fmt = (s) => `available ${s.available_quantity}, reserved ${s.reserved_quantity}, sold ${s.sold_quantity}`;
  if (!stock.has_sizes) return fmt(stock);
  return stock.sizes.map((s) => `${s.size}: ${fmt(s)}`).join(' | ');
}

async function pay(buyer, orderId, cards) {
  const payment = await must(buyer, 'POST', '/api/v1/payments/create/', { order_id: orderId, gateway: 'test_gateway' });
  const paymentId = payment.payment_id ?? payment.id;
  say(`payment ${paymentId}: amount ${payment.amount} + fee ${payment.gateway_fee} = ${payment.total_amount}`);
  for (const card of cards) {
    const res = await call(buyer, 'POST', '/api/v1/payments/process/', { payment_id: paymentId, card_number: card });
    const outcome = res.body?.outcome ?? res.body?.error?.code;
    const why = res.body?.failure_message ?? res.body?.error?.message;
    say(`card …${card.slice(-4)} → attempt ${res.body?.attempt_number ?? '-'}: ${outcome}${why ? ` (${why})` : ''}`);
  }
  return paymentId;
}

async function main() {
  console.log(`Sudamall demo against ${BASE} (payment window 15 min; buyer 3's order asks for ${WINDOW} s)`);

  step('The seller lists two products: a mug (no sizes) and a T-shirt in S/M/L');
  const mug = await must(seller, 'POST', '/api/v1/products/', {
    product_name: `Coffee mug ${run}`, product_description: 'Stoneware, 350 ml', price: '12.50',
    color: 'white', brand: 'Sudamall', category: 'kitchen', has_sizes: false, available_quantity: 10,
  });
  const shirt = await must(seller, 'POST', '/api/v1/products/', {
    product_name: `T-shirt ${run}`, product_description: 'Cotton', price: '19.99',
    color: 'blue', brand: 'Sudamall', category: 'clothing', has_sizes: true,
    sizes: [{ size: 'S', available_quantity: 5 }, { size: 'M', available_quantity: 5 }, { size: 'L', available_quantity: 2 }],
  });
  say(`mug ${mug.id}: ${stockLine(await must(seller, 'GET', `/api/v1/products/${mug.id}/stock/`))}`);
  say(`shirt ${shirt.id}: ${stockLine(await must(seller, 'GET', `/api/v1/products/${shirt.id}/stock/`))}`);

  // ---- buyer 1: the happy path
  const [b1, b2, b3] = buyers;
  step('Buyer 1 fills a cart: 2 mugs and a T-shirt in M');
  await must(b1, 'POST', '/api/v1/carts/add/', { product_id: mug.id, quantity: 2 });
  await must(b1, 'POST', '/api/v1/carts/add/', { product_id: shirt.id, quantity: 1, size: 'M' });
  const cart = await must(b1, 'GET', '/api/v1/carts/');
  for (const item of cart.items) say(`${item.quantity} × ${item.product_name}${item.size ? ` (${item.size})` : ''} @ ${item.current_price} = ${item.subtotal}`);
  say(`total ${cart.total}`);

  step('Buyer 1 checks out the whole cart (stock is reserved by the saga)');
  const order1 = await must(b1, 'POST', '/api/v1/carts/checkout/full/', { shipping_address: '1 Nile St, Khartoum' }, { 'idempotency-key': randomUUID() });
  say(`order ${order1.order_id}: ${order1.status}, pay before ${order1.payment_expires_at}`);
  say(`mug stock now: ${stockLine(await must(seller, 'GET', `/api/v1/products/${mug.id}/stock/`))}`);

  step('Buyer 1 pays with the test gateway (card 4242…)');
  await pay(b1, order1.order_id, ['4242424242424242']);
  await waitForStatus(b1, order1.order_id, 'processing', 15_000);
  say(`order ${order1.order_id}: processing (paid, stock confirmed)`);
  say(`mug stock now: ${stockLine(await must(seller, 'GET', `/api/v1/products/${mug.id}/stock/`))}`);

  step('The seller ships, then delivers');
  for (const status of ['shipped', 'delivered']) {
    const o = await must(seller, 'PUT', `/api/v1/orders/${order1.order_id}/status/`, { status });
    say(`order ${order1.order_id}: ${o.status}`);
  }

  // ---- buyer 2: a declined card, then a good one
  step('Buyer 2 buys a T-shirt in S directly; the first card is declined, the second accepted');
  const order2 = await must(b2, 'POST', '/api/v1/carts/checkout/single/', { product_id: shirt.id, quantity: 1, size: 'S', shipping_address: '2 Blue Nile Rd' }, { 'idempotency-key': randomUUID() });
  say(`order ${order2.order_id}: ${order2.status}`);
  await pay(b2, order2.order_id, ['4000000000000002', '4242424242424242']);
  await waitForStatus(b2, order2.order_id, 'processing', 15_000);
  say(`order ${order2.order_id}: processing`);

  // ---- buyer 3: the window lapses
  step(`Buyer 3 orders the last 2 T-shirts in L with a ${WINDOW}-second payment window (test mode) and lets it lapse`);
  const order3 = await must(b3, 'POST', '/api/v1/orders/create/', { items: [{ product_id: shirt.id, quantity: 2, size: 'L' }], shipping_address: '3 White Nile Ave', payment_window_seconds: WINDOW }, { 'idempotency-key': randomUUID() });
  say(`order ${order3.order_id}: ${order3.status}`);
  say(`shirt stock now: ${stockLine(await must(seller, 'GET', `/api/v1/products/${shirt.id}/stock/`))}`);
  const deadline = Date.now() + (WINDOW + 20) * 1000;
  for (;;) {
    const timer = await must(b3, 'GET', `/api/v1/orders/payment-status/${order3.order_id}/`);
    const o = await must(b3, 'GET', `/api/v1/orders/${order3.order_id}/`);
    process.stdout.write(`\r    ${o.status.padEnd(13)} ${String(Math.max(0, Math.round(timer.seconds_remaining))).padStart(4)} s left   `);
    if (o.status === 'cancelled') { process.stdout.write('\n'); say(`cancelled: ${o.cancel_reason ?? o.reason}`); break; }
    if (Date.now() > deadline) throw new Error(`order ${order3.order_id} was not cancelled after its window`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  say(`shirt stock now: ${stockLine(await must(seller, 'GET', `/api/v1/products/${shirt.id}/stock/`))}`);

  step('Done. Everything is still running:');
  say(`storefront API       ${BASE}/api/v1/…`);
  say(`saga dashboard       ${BASE}/admin/sagas/  (paste this admin token to log in, valid 2 h):`);
  say(`                     ${token({ sub: `ops-${run}`, role: 'admin' })}`);
  say(`service logs         .local/logs/<service>.log`);
  say('stop everything      npm run down');
}

main().catch((err) => {
  console.error(`\n\x1b[31mdemo failed: ${err.message}\x1b[0m`);
  process.exit(1);
});
