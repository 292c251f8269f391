// inventory.commands fetched together (issue 15): handleInventoryCommands hands a run of reserve
// commands for different orders to the engine side by side, so they share one batch (one lock
// acquisition, one read, one write), on real PostgreSQL and Redis. The answers and the stock must
// be what the same commands give one at a time; other commands keep their place in the order.
import { randomUUID } from 'node:crypto';
import { createEnvelope, type AnyEnvelope, type BatchItem } from '@sudamall/shared';
import type { Pool } from 'pg';
import { handleInventoryCommands, type CommandsConsumerDeps } from '../../src/infra/commands-consumer';
import { seedProduct, silentLogger, startEngine, stockRow, testPool, type EngineHarness, type SeededProduct } from '../support/fixtures';

let pool: Pool;
let h: EngineHarness;
let deps: CommandsConsumerDeps;
/** How many batches the engine read (its store's readBatchState, counted around the real one). */
let batchReads = 0;

beforeAll(async () => {
  pool = testPool(6);
  h = await startEngine(pool);
  deps = { engine: h.engine, reservations: h.reservations, logger: silentLogger };
  const read = h.store.readBatchState.bind(h.store);
  h.store.readBatchState = (...args) => {
    batchReads++;
    return read(...args);
  };
});
afterAll(async () => {
  await h?.close();
  await pool?.end();
});

const asBatch = (envelopes: AnyEnvelope[]): BatchItem[] =>
  envelopes.map((envelope, n) => ({
    envelope,
    meta: { topic: 'inventory.commands', partition: 0, offset: String(n), headers: {}, heartbeat: async () => undefined },
    within: (fn) => fn(),
  }));

const reserve = (orderId: string, p: SeededProduct, quantity = 1) =>
  createEnvelope('inventory.reserve', orderId, { order_id: orderId, lines: [{ line_id: 'l1', product_id: p.productId, size: null, quantity }] }) as AnyEnvelope;

async function answers(orderId: string): Promise<string[]> {
  const { rows } = await pool.query<{ type: string }>('SELECT type FROM outbox WHERE key = $1 ORDER BY id', [orderId]);
  return rows.map((r) => r.type);
}

it('decides a run of reserve commands in one batch, each answered once', async () => {
  const products = await Promise.all([1, 2, 3, 4, 5, 6].map(() => seedProduct(pool, 3)));
  // The engine knows the products already (as it does under load): their look-up is not what is measured.
  await handleInventoryCommands(deps, asBatch(products.map((p) => reserve(randomUUID(), p))));

  const orders = products.map(() => randomUUID());
  const commands = products.map((p, n) => reserve(orders[n], p));
  batchReads = 0;
  await handleInventoryCommands(deps, asBatch(commands));
  expect(batchReads).toBe(1);
  for (const [n, p] of products.entries()) {
    expect(await answers(orders[n])).toEqual(['stock.reserved']);
    expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 1, reserved: 2, sold: 0 });
  }

  // The same messages again (a redelivery): nothing changes, nothing is announced.
  await handleInventoryCommands(deps, asBatch(commands));
  for (const [n, p] of products.entries()) {
    expect(await answers(orders[n])).toEqual(['stock.reserved']);
    expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 1, reserved: 2, sold: 0 });
  }
});

it('keeps each order’s commands in their order around a run, and a short order rejected alone', async () => {
  const p = await seedProduct(pool, 2);
  const q = await seedProduct(pool, 5);
  const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
  await handleInventoryCommands(
    deps,
    asBatch([
      reserve(a, p),
      reserve(b, q, 2),
      // a's confirmation waits for the run with a's reserve, c's reserve waits for it.
      createEnvelope('inventory.confirm', a, { order_id: a }),
      reserve(c, p, 5),
      reserve(b, q, 2),
    ]),
  );
  expect(await answers(a)).toEqual(['stock.reserved', 'stock.confirmed']);
  expect(await answers(c)).toEqual(['stock.rejected']);
  // b's second reserve is a re-sent command (a new message for an order already decided): answered again, nothing more reserved.
  expect(await answers(b)).toEqual(['stock.reserved', 'stock.reserved']);
  expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 1, reserved: 0, sold: 1 });
  expect(await stockRow(pool, q.stockIds[''])).toEqual({ available: 3, reserved: 2, sold: 0 });
});
