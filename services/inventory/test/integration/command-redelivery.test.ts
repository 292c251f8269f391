// A redelivered Kafka command (the same message again) changes and announces nothing, whatever
// the command; a command re-sent on purpose (a new message for the same order) is answered
// again. The consumer asks no inbox SELECT first: the statements themselves find the redelivery
// (infra/reservation-store.ts), and these tests hold them to what the SELECT used to give.
import { randomUUID } from 'node:crypto';
import { createEnvelope, type AnyEnvelope } from '@sudamall/shared';
import type { Pool } from 'pg';
import { handleInventoryCommand, type CommandsConsumerDeps } from '../../src/infra/commands-consumer';
import { seedProduct, silentLogger, startEngine, stockRow, testPool, type EngineHarness } from '../support/fixtures';

let pool: Pool;
let h: EngineHarness;
let deps: CommandsConsumerDeps;

beforeAll(async () => {
  pool = testPool(4);
  h = await startEngine(pool);
  deps = { engine: h.engine, reservations: h.reservations, logger: silentLogger };
});

afterAll(async () => {
  await h?.close();
  await pool?.end();
});

async function outboxTypes(orderId: string): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ type: string; n: number }>('SELECT type, count(*)::int AS n FROM outbox WHERE key = $1 GROUP BY type', [orderId]);
  return Object.fromEntries(rows.map((r) => [r.type, r.n]));
}

const handle = (e: AnyEnvelope) => handleInventoryCommand(deps, e);

it('reserve and confirm redelivered: nothing more; re-sent as new messages: answered again', async () => {
  const p = await seedProduct(pool, 5);
  const orderId = randomUUID();
  const reserve = createEnvelope('inventory.reserve', orderId, {
    order_id: orderId,
    lines: [{ line_id: 'l1', product_id: p.productId, size: null, quantity: 2 }],
  });
  const confirm = createEnvelope('inventory.confirm', orderId, { order_id: orderId });
  await handle(reserve);
  await handle(reserve);
  await handle(confirm);
  await handle(confirm);
  await handle(reserve);
  expect(await outboxTypes(orderId)).toEqual({ 'stock.reserved': 1, 'stock.confirmed': 1 });
  expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 3, reserved: 0, sold: 2 });

  await handle(createEnvelope('inventory.reserve', orderId, reserve.data));
  await handle(createEnvelope('inventory.confirm', orderId, { order_id: orderId }));
  expect(await outboxTypes(orderId)).toEqual({ 'stock.reserved': 2, 'stock.confirmed': 2 });
  expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 3, reserved: 0, sold: 2 });
});

it('a redelivery is found whatever the case of its message id', async () => {
  const p = await seedProduct(pool, 5);
  const orderId = randomUUID();
  const reserve = createEnvelope(
    'inventory.reserve',
    orderId,
    { order_id: orderId, lines: [{ line_id: 'l1', product_id: p.productId, size: null, quantity: 1 }] },
    { id: randomUUID().toUpperCase() },
  );
  await handle(reserve);
  await handle(reserve);
  await handle({ ...reserve, id: reserve.id.toLowerCase() });
  expect(await outboxTypes(orderId)).toEqual({ 'stock.reserved': 1 });
});

it('release redelivered: nothing more; a confirm after it answers stock.rejected once per message', async () => {
  const p = await seedProduct(pool, 5);
  const orderId = randomUUID();
  await handle(
    createEnvelope('inventory.reserve', orderId, { order_id: orderId, lines: [{ line_id: 'l1', product_id: p.productId, size: null, quantity: 1 }] }),
  );
  const release = createEnvelope('inventory.release', orderId, { order_id: orderId, reason: 'cancelled' });
  await handle(release);
  await handle(release);
  const confirm = createEnvelope('inventory.confirm', orderId, { order_id: orderId });
  await handle(confirm);
  await handle(confirm);
  expect(await outboxTypes(orderId)).toEqual({ 'stock.reserved': 1, 'stock.released': 1, 'stock.rejected': 1 });

  await handle(createEnvelope('inventory.release', orderId, { order_id: orderId, reason: 'cancelled' }));
  expect(await outboxTypes(orderId)).toEqual({ 'stock.reserved': 1, 'stock.released': 2, 'stock.rejected': 1 });
  expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 5, reserved: 0, sold: 0 });
});

it('rejections decided without stock (unknown product, malformed) are not announced again on redelivery', async () => {
  const unknown = randomUUID();
  const malformed = randomUUID();
  const a = createEnvelope('inventory.reserve', unknown, { order_id: unknown, lines: [{ line_id: 'l1', product_id: randomUUID(), size: null, quantity: 1 }] });
  const b = createEnvelope('inventory.reserve', malformed, {
    order_id: malformed,
    lines: [{ line_id: 'l1', product_id: randomUUID(), size: null, quantity: 0 }],
  });
  for (const e of [a, a, b, b]) await handle(e);
  expect(await outboxTypes(unknown)).toEqual({ 'stock.rejected': 1 });
  expect(await outboxTypes(malformed)).toEqual({ 'stock.rejected': 1 });
  await handle(createEnvelope('inventory.reserve', unknown, a.data));
  expect(await outboxTypes(unknown)).toEqual({ 'stock.rejected': 2 });
});

it('a whole-order restock redelivered gives nothing back twice and is announced once', async () => {
  const p = await seedProduct(pool, 5);
  const orderId = randomUUID();
  await handle(
    createEnvelope('inventory.reserve', orderId, { order_id: orderId, lines: [{ line_id: 'l1', product_id: p.productId, size: null, quantity: 2 }] }),
  );
  await handle(createEnvelope('inventory.confirm', orderId, { order_id: orderId }));
  const restock = createEnvelope('inventory.release', orderId, { order_id: orderId, reason: 'refunded', restock: true });
  await handle(restock);
  await handle(restock);
  expect(await outboxTypes(orderId)).toEqual({ 'stock.reserved': 1, 'stock.confirmed': 1, 'stock.released': 1 });
  expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 5, reserved: 0, sold: 0 });
});
