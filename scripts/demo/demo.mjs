#!/usr/bin/env node
// @ts-check
// The platform's main job, narrated: a seller lists products, three buyers check out through
// the public REST API behind the gateway, exactly as a storefront would: with the storefront's
// typed client (@sudamall/client, packages/client). Checked by tsc (`// @ts-check`, JSDoc types;
// scripts/demo/tsconfig.json, run by tests/e2e's build), so a route or field of the services'
// documents that drifts breaks `npm run build` before it breaks the demo.
//   buyer 1 pays with a good card; the seller ships and delivers
//   buyer 2's card is declined, then a good card is accepted inside the payment window
//   buyer 3 lets the payment window lapse and watches the stock come back
// Usage: node scripts/demo/demo.mjs   (after `bash scripts/services.sh start`; `npm run up` does both)
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSudamallClient, ok } from '@sudamall/client';

const require = createRequire(import.meta.url);
/** @type {typeof import('@sudamall/shared/auth')} */
const { signToken } = require('../../packages/shared/dist/auth.js');

const BASE = process.env.SUDAMALL_BASE_URL ?? 'http://127.0.0.1:8080';
// The secret the services were started with: the caller's, else the one generated once into
// .local/secrets.env by scripts/lib/local-secrets.sh (npm run up, scripts/services.sh).
function localJwtSecret() {
  const file = new URL('../../.local/secrets.env', import.meta.url);
  try {
    const line = readFileSync(file, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('JWT_SECRET='));
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

/** @param {{ sub: string, role: 'buyer' | 'seller' | 'admin', store_id?: string }} claims */
const token = (claims) => signToken(claims, { secret: SECRET, expiresIn: '2h' });
/** @typedef {{ name: string, api: import('@sudamall/client').SudamallClient }} Who */
/** @param {string} name @param {string} jwt @returns {Who} */
const who = (name, jwt) => ({ name, api: createSudamallClient({ baseUrl: BASE, token: jwt }) });
const seller = who('seller', token({ sub: `seller-${run}`, role: 'seller', store_id: `store-${run}` }));
// A second store of the marketplace, for an order with items of both.
const seller2 = who('seller of store 2', token({ sub: `seller2-${run}`, role: 'seller', store_id: `store2-${run}` }));
const buyers = [1, 2, 3].map((n) => who(`buyer ${n}`, token({ sub: `buyer${n}-${run}`, role: 'buyer' })));

let stepNo = 0;
/** @param {string} text */
const step = (text) => console.log(`\n\x1b[1m[${++stepNo}] ${text}\x1b[0m`);
/** @param {string} text */
const say = (text) => console.log(`    ${text}`);

/**
 * The answer's data; an error answer stops the demo, saying who was refused and why.
 * @template T
 * @param {Who} actor
 * @param {Promise<{ data?: T, error?: unknown, response: Response }>} call
 * @returns {Promise<T>}
 */
async function must(actor, call) {
  try {
    return await ok(call);
  } catch (err) {
    throw new Error(`${actor.name}: ${/** @type {Error} */ (err).message}`, { cause: err });
  }
}

/** @param {Who} actor @param {string} orderId */
const orderOf = (actor, orderId) => must(actor, actor.api.order.GET('/api/v1/orders/{order_id}', { params: { path: { order_id: orderId } } }));
/** @param {string} productId @param {Who} [owner] the store's seller (sold quantities are theirs to see) */
const stockOf = (productId, owner = seller) => must(owner, owner.api.inventory.GET('/api/v1/products/{id}/stock', { params: { path: { id: productId } } }));

/**
 * Polls until `done` holds for the order as `actor` sees it (a cancellation or return runs over Kafka).
 * @param {Who} actor @param {string} orderId @param {(o: Awaited<ReturnType<typeof orderOf>>) => boolean} done @param {string} what
 */
async function waitForOrder(actor, orderId, done, what) {
  const started = Date.now();
  for (;;) {
    const o = await orderOf(actor, orderId);
    if (done(o)) return o;
    if (Date.now() - started > 20_000) throw new Error(`order ${orderId}: ${what} did not happen within 20 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** @param {Who} actor @param {string} orderId @param {string} wanted @param {number} timeoutMs */
async function waitForStatus(actor, orderId, wanted, timeoutMs) {
  const started = Date.now();
  let last;
  while (Date.now() - started < timeoutMs) {
    last = await orderOf(actor, orderId);
    if (last.status === wanted) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`order ${orderId} is ${last?.status}, expected ${wanted} within ${timeoutMs} ms`);
}

/** @param {Awaited<ReturnType<typeof stockOf>>} stock */
function stockLine(stock) {
  // sold_quantity is shown to the store's sellers and admins only (the demo reads as the seller).
  /** @param {{ available_quantity: number, reserved_quantity: number, sold_quantity?: number }} s */
  const fmt = (s) => `available ${s.available_quantity}, reserved ${s.reserved_quantity}, sold ${s.sold_quantity ?? '-'}`;
  if (!stock.has_sizes) return fmt(stock);
  return stock.sizes.map((s) => `${s.size}: ${fmt(s)}`).join(' | ');
}

/** @param {Who} buyer @param {string} orderId @param {string[]} cards */
async function pay(buyer, orderId, cards) {
  const payment = await must(buyer, buyer.api.payment.POST('/api/v1/payments/create', { body: { order_id: orderId, gateway: 'test_gateway' } }));
  const paymentId = payment.payment_id;
  say(`payment ${paymentId}: amount ${payment.amount} + fee ${payment.gateway_fee} = ${payment.total_amount}`);
  for (const card of cards) {
    // A declined card is an answer (200, outcome failed), not an error: shown, not thrown.
    const { data, error } = await buyer.api.payment.POST('/api/v1/payments/process', { body: { payment_id: paymentId, card_number: card } });
    const outcome = data?.outcome ?? error?.error.code;
    const why = data?.failure_message ?? error?.error.message;
    say(`card …${card.slice(-4)} → attempt ${data?.attempt_number ?? '-'}: ${outcome}${why ? ` (${why})` : ''}`);
  }
  return paymentId;
}

async function main() {
  console.log(`Sudamall demo against ${BASE} (payment window 15 min; buyer 3's order asks for ${WINDOW} s)`);

  step('The seller lists two products: a mug (no sizes) and a T-shirt in S/M/L');
  const mug = await must(
    seller,
    seller.api.inventory.POST('/api/v1/products', {
      body: {
        product_name: `Coffee mug ${run}`,
        product_description: 'Stoneware, 350 ml',
        price: '12.50',
        color: 'white',
        brand: 'Sudamall',
        category: 'kitchen',
        has_sizes: false,
        available_quantity: 10,
      },
    }),
  );
  const shirt = await must(
    seller,
    seller.api.inventory.POST('/api/v1/products', {
      body: {
        product_name: `T-shirt ${run}`,
        product_description: 'Cotton',
        price: '19.99',
        color: 'blue',
        brand: 'Sudamall',
        category: 'clothing',
        has_sizes: true,
        sizes: [
          { size: 'S', available_quantity: 5 },
          { size: 'M', available_quantity: 5 },
          { size: 'L', available_quantity: 2 },
        ],
      },
    }),
  );
  say(`mug ${mug.id}: ${stockLine(await stockOf(mug.id))}`);
  say(`shirt ${shirt.id}: ${stockLine(await stockOf(shirt.id))}`);

  // ---- buyer 1: the happy path
  const [b1, b2, b3] = buyers;
  step('Buyer 1 fills a cart: 2 mugs and a T-shirt in M');
  await must(b1, b1.api.cart.POST('/api/v1/carts/add', { body: { product_id: mug.id, quantity: 2 } }));
  await must(b1, b1.api.cart.POST('/api/v1/carts/add', { body: { product_id: shirt.id, quantity: 1, size: 'M' } }));
  const cart = await must(b1, b1.api.cart.GET('/api/v1/carts'));
  for (const item of cart.items) say(`${item.quantity} × ${item.product_name}${item.size ? ` (${item.size})` : ''} @ ${item.current_price} = ${item.subtotal}`);
  say(`total ${cart.total}`);

  step('Buyer 1 checks out the whole cart (stock is reserved by the saga)');
  const order1 = await must(
    b1,
    b1.api.cart.POST('/api/v1/carts/checkout/full', {
      params: { header: { 'idempotency-key': randomUUID() } },
      body: { shipping_address: '1 Nile St, Khartoum' },
    }),
  );
  say(`order ${order1.order_id}: ${order1.status}, pay before ${order1.payment_expires_at}`);
  say(`mug stock now: ${stockLine(await stockOf(mug.id))}`);

  step('Buyer 1 pays with the test gateway (card 4242…)');
  await pay(b1, order1.order_id, ['4242424242424242']);
  await waitForStatus(b1, order1.order_id, 'processing', 15_000);
  say(`order ${order1.order_id}: processing (paid, stock confirmed)`);
  say(`mug stock now: ${stockLine(await stockOf(mug.id))}`);

  step('The seller ships, then delivers');
  for (const status of /** @type {const} */ (['shipped', 'delivered'])) {
    const o = await must(
      seller,
      seller.api.order.PUT('/api/v1/orders/{order_id}/status', { params: { path: { order_id: order1.order_id } }, body: { status } }),
    );
    say(`order ${order1.order_id}: ${o.status}`);
  }

  // ---- buyer 2: a declined card, then a good one
  step('Buyer 2 buys a T-shirt in S directly; the first card is declined, the second accepted');
  const order2 = await must(
    b2,
    b2.api.cart.POST('/api/v1/carts/checkout/single', {
      params: { header: { 'idempotency-key': randomUUID() } },
      body: { product_id: shirt.id, quantity: 1, size: 'S', shipping_address: '2 Blue Nile Rd' },
    }),
  );
  say(`order ${order2.order_id}: ${order2.status}`);
  await pay(b2, order2.order_id, ['4000000000000002', '4242424242424242']);
  await waitForStatus(b2, order2.order_id, 'processing', 15_000);
  say(`order ${order2.order_id}: processing`);

  // ---- the marketplace after checkout: two stores, one order
  step('A second store lists caps; buyer 2 orders a mug (store 1) and 2 caps (store 2) in one order and pays');
  const cap = await must(
    seller2,
    seller2.api.inventory.POST('/api/v1/products', {
      body: {
        product_name: `Cap ${run}`,
        product_description: 'Canvas',
        price: '8.00',
        color: 'green',
        brand: 'Sudamall',
        category: 'clothing',
        has_sizes: false,
        available_quantity: 5,
      },
    }),
  );
  const order4 = await must(
    b2,
    b2.api.order.POST('/api/v1/orders/create', {
      params: { header: { 'idempotency-key': randomUUID() } },
      body: {
        items: [
          { product_id: mug.id, quantity: 1 },
          { product_id: cap.id, quantity: 2 },
        ],
        shipping_address: '2 Blue Nile Rd',
      },
    }),
  );
  await waitForStatus(b2, order4.order_id, 'under_paying', 15_000);
  await pay(b2, order4.order_id, ['4242424242424242']);
  await waitForStatus(b2, order4.order_id, 'processing', 15_000);
  say(`order ${order4.order_id}: processing, ${order4.total_amount} for the goods`);

  step("Each seller lists their store's orders: only their own part of the shared order");
  for (const s of [seller, seller2]) {
    const page = await must(s, s.api.order.GET('/api/v1/orders', { params: { query: { sort: '-created_at', page_size: 3 } } }));
    const mine = page.items.find((o) => o.order_id === order4.order_id);
    say(
      `${s.name}: ${page.total} order(s); order ${order4.order_id} shows ${mine?.items.map((i) => `${i.quantity} × ${i.product_name}`).join(', ')} for ${mine?.total_amount}`,
    );
  }

  step('Store 2 is out of caps after all and cancels its part: refund of its lines and its share of the fee, caps back in stock');
  say(`cap stock before: ${stockLine(await stockOf(cap.id, seller2))}`);
  await must(
    seller2,
    seller2.api.order.POST('/api/v1/orders/{order_id}/cancel', { params: { path: { order_id: order4.order_id } }, body: { reason: 'out of stock after all' } }),
  );
  const partCancelled = await waitForOrder(seller2, order4.order_id, (o) => o.cancellation?.status === 'completed', 'the part cancellation');
  say(
    `cancellation: refunded ${partCancelled.cancellation?.refunded_amount} (asked ${partCancelled.cancellation?.refund_amount}); store 2's part ${partCancelled.fulfillments[0]?.status}`,
  );
  say(`cap stock after: ${stockLine(await stockOf(cap.id, seller2))}`);

  step('Store 1 ships and delivers its part; the order follows its fulfilments');
  for (const status of /** @type {const} */ (['shipped', 'delivered'])) {
    const o = await must(
      seller,
      seller.api.order.PUT('/api/v1/orders/{order_id}/status', {
        params: { path: { order_id: order4.order_id } },
        body: { status, tracking_number: `TRK-${run}` },
      }),
    );
    say(`order ${order4.order_id}: ${o.status}`);
  }

  step('Buyer 2 returns the mug; store 1 approves with restock: refund and the mug back in stock');
  const mugLine = (await orderOf(b2, order4.order_id)).items.find((i) => i.product_id === mug.id);
  if (!mugLine) throw new Error('the mug line is missing from the order');
  const ret = await must(
    b2,
    b2.api.order.POST('/api/v1/orders/{order_id}/returns', {
      params: { path: { order_id: order4.order_id } },
      body: { items: [{ item_id: mugLine.item_id, quantity: 1 }], reason: 'chipped' },
    }),
  );
  const approved = await must(
    seller,
    seller.api.order.POST('/api/v1/orders/{order_id}/returns/{return_id}/approve', {
      params: { path: { order_id: order4.order_id, return_id: ret.return_id } },
      body: { restock: true },
    }),
  );
  say(`return ${ret.return_id}: approved, refunding ${approved.refund_amount}`);
  const started = Date.now();
  for (;;) {
    const list = await must(b2, b2.api.order.GET('/api/v1/orders/{order_id}/returns', { params: { path: { order_id: order4.order_id } } }));
    const r = list.items.find((x) => x.return_id === ret.return_id);
    if (r?.status === 'completed') {
      say(`return completed: refunded ${r.refunded_amount}`);
      break;
    }
    if (Date.now() - started > 20_000) throw new Error(`return ${ret.return_id} is ${r?.status} after 20 s`);
    await new Promise((res) => setTimeout(res, 250));
  }
  say(`mug stock now: ${stockLine(await stockOf(mug.id))}`);

  // ---- buyer 3: the window lapses
  step(`Buyer 3 orders the last 2 T-shirts in L with a ${WINDOW}-second payment window (test mode) and lets it lapse`);
  const order3 = await must(
    b3,
    b3.api.order.POST('/api/v1/orders/create', {
      params: { header: { 'idempotency-key': randomUUID() } },
      body: { items: [{ product_id: shirt.id, quantity: 2, size: 'L' }], shipping_address: '3 White Nile Ave', payment_window_seconds: WINDOW },
    }),
  );
  say(`order ${order3.order_id}: ${order3.status}`);
  say(`shirt stock now: ${stockLine(await stockOf(shirt.id))}`);
  const deadline = Date.now() + (WINDOW + 20) * 1000;
  for (;;) {
    const timer = await must(b3, b3.api.order.GET('/api/v1/orders/payment-status/{order_id}', { params: { path: { order_id: order3.order_id } } }));
    const o = await orderOf(b3, order3.order_id);
    process.stdout.write(`\r    ${o.status.padEnd(13)} ${String(Math.max(0, Math.round(timer.seconds_remaining))).padStart(4)} s left   `);
    if (o.status === 'cancelled') {
      process.stdout.write('\n');
      say(`cancelled: ${o.cancel_reason}`);
      break;
    }
    if (Date.now() > deadline) throw new Error(`order ${order3.order_id} was not cancelled after its window`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  say(`shirt stock now: ${stockLine(await stockOf(shirt.id))}`);

  step('Done. Everything is still running:');
  say(`storefront API       ${BASE}/api/v1/…`);
  say(`saga dashboard       ${BASE}/admin/sagas/  (paste this admin token to log in, valid 2 h):`);
  say(`                     ${token({ sub: `ops-${run}`, role: 'admin' })}`);
  say(`service logs         .local/logs/<service>.log`);
  say('stop everything      npm run down');
}

main().catch((/** @type {Error} */ err) => {
  console.error(`\n\x1b[31mdemo failed: ${err.message}\x1b[0m`);
  process.exit(1);
});
