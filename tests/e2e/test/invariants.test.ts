// Hundreds of concurrent checkouts over a few hot products with random outcomes (paid, declined
// then paid, abandoned until the short window lapses, cancelled by the buyer, cancelled while the
// payment is in flight, paid twice at once), then the invariant checker reads the four databases
// and must find nothing: stock conserved, reserved = open reservations, every order terminal,
// money taken at most once and refunded when the order died, every message published.
import { randomUUID } from 'node:crypto';
import { startPlatform, type Platform } from './platform';
import { Caller, formatLoad, listHotProducts, runCheckouts } from './load';
import { Client } from 'pg';
import { checkInvariants, formatReport, settleAndCheck, type InvariantDatabases, type InvariantScope } from './invariants';

const WINDOW_SECONDS = 8;
const CHECKOUTS = Number(process.env.INVARIANT_CHECKOUTS ?? 200);
const CONCURRENCY = Number(process.env.INVARIANT_CONCURRENCY ?? 20);
// Bounded in time as well as in count, so a machine busy with other work shortens the run
// (fewer orders, same checks) instead of stalling `npm test`.
const MAX_LOAD_MS = Number(process.env.INVARIANT_MAX_LOAD_MS ?? 45_000);
let platform: Platform;
let checked: { dbs: InvariantDatabases; scope: InvariantScope } | undefined;

beforeAll(async () => {
  platform = await startPlatform({ paymentWindowSeconds: WINDOW_SECONDS, ownDatabases: true });
}, 90_000);

afterAll(async () => {
  await platform?.stop();
});

test(`up to ${CHECKOUTS} concurrent checkouts with random outcomes break no invariant`, async () => {
  const seller = new Caller(platform, { sub: `seller-${randomUUID()}`, role: 'seller', store_id: `store-${randomUUID().slice(0, 8)}` });
  // Fewer units than the run wants (about 1.5 per checkout), so some checkouts are refused for
  // stock and cancellations/expiries hand units back to later buyers while the run goes on.
  const perRow = Math.max(5, Math.round((CHECKOUTS * 1.5) / 6));
  const products = await listHotProducts(platform, seller, [
    { quantity: perRow },
    { quantity: perRow, price: '19.99' },
    { quantity: perRow, price: '7.25' },
    { quantity: perRow, sizes: ['S', 'M', 'L'], price: '24.50' },
  ]);

  const load = await runCheckouts({ platform, products, concurrency: CONCURRENCY, total: CHECKOUTS, durationMs: MAX_LOAD_MS });
  console.log(`[invariants] load\n${formatLoad(load)}`);

  const dbs = {
    inventory: platform.databaseUrl('inventory'),
    order: platform.databaseUrl('order'),
    payment: platform.databaseUrl('payment'),
    cart: platform.databaseUrl('cart'),
  };
  const scope = { productIds: products.map((p) => p.id), orderIds: load.orderIds };
  checked = { dbs, scope };
  const report = await settleAndCheck(dbs, scope, { requireTerminal: true, timeoutMs: 45_000, settleGraceSeconds: 10, expiryGraceSeconds: 10 });
  console.log(`[invariants] settled after ${report.settledAfterMs} ms\n${formatReport(report)}`);

  expect(load.orderIds.length).toBeGreaterThanOrEqual(Math.min(CHECKOUTS, 40));
  expect(load.errors).toEqual({});
  // Orders are found through the run's products: also those whose checkout answered without an
  // order id (409 INSUFFICIENT_STOCK after the order was placed and its reservation rejected).
  expect(report.counts.orders).toBeGreaterThanOrEqual(load.orderIds.length);
  expect(report.violations).toEqual([]);
}, 180_000);

test('the checker is not blind: a unit of stock from nowhere, a paid order without its money, an unpublished message, a second capture kept, a refund beyond the charge, an unreconciled refund, broken cancellations and returns are each reported', async () => {
  if (!checked) throw new Error('needs the run above');
  const { dbs, scope } = checked;
  // The run's own databases (dropped after this file): break three promises by hand.
  const sql = async (url: string, text: string) => {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query(text)).rows;
    } finally {
      await c.end();
    }
  };
  const [stock] = await sql(dbs.inventory, `SELECT id FROM stock WHERE product_id = '${scope.productIds[0]}' LIMIT 1`);
  await sql(dbs.inventory, `UPDATE stock SET available = available + 1 WHERE id = '${stock.id}'`);
  const [paid] = await sql(dbs.order, `SELECT order_id FROM orders WHERE status = 'processing' LIMIT 1`);
  await sql(dbs.payment, `UPDATE payments SET status = 'refunded' WHERE order_reference = '${paid.order_id}' AND status = 'completed'`);
  await sql(
    dbs.order,
    `INSERT INTO outbox (event_id, topic, key, type, payload, created_at) VALUES (gen_random_uuid(), 'order.events', '${paid.order_id}', 'order.status_changed', '{}', now() - interval '1 minute')`,
  );
  // Another paid order was captured twice and the gateway refused to give the second one back.
  const [twice] = await sql(dbs.order, `SELECT order_id FROM orders WHERE status = 'processing' AND order_id <> '${paid.order_id}' LIMIT 1`);
  await sql(
    dbs.payment,
    `INSERT INTO duplicate_captures (id, payment_id, order_reference, gateway, transaction_id, amount, currency, source, status, detected_at)
     SELECT gen_random_uuid(), payment_id, order_reference, gateway, 'txn_second_' || payment_id, total_amount, currency, 'charge', 'refund_failed', now() - interval '1 minute'
       FROM payments WHERE order_reference = '${twice.order_id}' AND status = 'completed'`,
  );

  // A third paid order was refunded more than the buyer paid (and its running total not kept);
  // a fourth has a refund whose outcome was never reconciled.
  const others = await sql(
    dbs.order,
    `SELECT order_id FROM orders WHERE status = 'processing' AND order_id NOT IN ('${paid.order_id}', '${twice.order_id}') ORDER BY order_id LIMIT 5`,
  );
  expect(others).toHaveLength(5);
  const [overRefunded, unreconciled, partCancelled, waiting, restockedFromNowhere] = others.map((o: { order_id: string }) => o.order_id);
  await sql(
    dbs.payment,
    `INSERT INTO refunds (refund_id, payment_id, amount, reason, status, requested_by, created_at, processed_at)
     SELECT gen_random_uuid(), payment_id, total_amount + 1, 'planted', 'completed', 'test', now(), now()
       FROM payments WHERE order_reference = '${overRefunded}' AND status = 'completed'`,
  );
  await sql(
    dbs.payment,
    `WITH p AS (UPDATE payments SET refunded_amount = refunded_amount + 1 WHERE order_reference = '${unreconciled}' AND status = 'completed' RETURNING payment_id)
     INSERT INTO refunds (refund_id, payment_id, amount, reason, status, requested_by, created_at)
     SELECT gen_random_uuid(), payment_id, 1, 'planted', 'pending', 'test', now() - interval '2 minutes' FROM p`,
  );

  // A store's part recorded as cancelled after payment, with a refund the payment never made and
  // a restock inventory never applied: its fulfilment cancelled while its units stay sold.
  const [line] = await sql(dbs.order, `SELECT item_id, store_id FROM order_items WHERE order_id = '${partCancelled}' ORDER BY item_id LIMIT 1`);
  await sql(
    dbs.order,
    `INSERT INTO order_adjustments (adjustment_id, order_id, kind, store_id, status, reason, refund_amount, refunded_amount, lines, restock, requested_by, requested_role, completed_at)
     VALUES (gen_random_uuid(), '${partCancelled}', 'cancellation', '${line.store_id}', 'completed', 'planted', 2.00, 2.00, '[{"line_id": "${line.item_id}", "quantity": 1}]', true, 'test', 'seller', now())`,
  );
  await sql(
    dbs.order,
    `UPDATE order_fulfillments SET status = 'cancelled', cancelled_at = now(), updated_at = now() - interval '2 minutes' WHERE order_id = '${partCancelled}' AND store_id = '${line.store_id}'`,
  );
  // A cancellation left refunding for two minutes (not stuck, nothing re-sending it), and a
  // return still waiting for its store whose units inventory was nonetheless given back.
  const [returnId] = await sql(
    dbs.order,
    `INSERT INTO order_adjustments (adjustment_id, order_id, kind, store_id, status, reason, refund_amount, lines, requested_by, requested_role, created_at, updated_at) VALUES
       (gen_random_uuid(), '${waiting}', 'cancellation', NULL, 'refunding', 'planted', 1.00, '[]', 'test', 'buyer', now() - interval '2 minutes', now() - interval '2 minutes'),
       (gen_random_uuid(), '${waiting}', 'return', 'any-store', 'requested', 'planted', NULL, '[]', 'test', 'buyer', now(), now())
     RETURNING adjustment_id::text AS id, kind`,
  ).then((rows) => rows.filter((r: { kind: string }) => r.kind === 'return').map((r: { id: string }) => r.id));
  await sql(dbs.inventory, `INSERT INTO restocks (restock_id, order_id, reason, result) VALUES ('${returnId}', '${waiting}', 'planted', '{}')`);
  // A confirmed line counted as restocked with no cancellation or return asking (and its stock
  // row's sold left as it was).
  await sql(
    dbs.inventory,
    `UPDATE reservations SET restocked = 1 WHERE id = (SELECT id FROM reservations WHERE order_id = '${restockedFromNowhere}' AND status = 'confirmed' ORDER BY id LIMIT 1)`,
  );

  const report = await checkInvariants(dbs, scope, { settleGraceSeconds: 10 });
  const broken = new Set(report.violations.map((v) => v.invariant));
  expect([...broken].sort()).toEqual(
    [
      'stock conserved (available + reserved + sold = what sellers put in)',
      'a paid order keeps its money',
      'no outbox row left unpublished',
      'no payment captured twice (every duplicate capture is refunded)',
      'refunds never exceed what was captured',
      "a payment's refunded_amount is the sum of its completed and pending refunds",
      'every refund settled or reconciled (none left pending)',
      'a paid order keeps its money less what its cancellations and returns refunded',
      'a completed cancellation or return was refunded what it records (at most what it asked)',
      'a completed cancellation or return that restocks gave its units back',
      "a cancelled fulfilment's units are back (none of its lines still sold)",
      'every cancellation and return reaches a final state (completed or rejected)',
      'a return not approved moves no money and no units',
      'sold equals the sum over confirmed reservations',
      'no units restocked beyond what cancellations and returns asked',
    ].sort(),
  );
});
