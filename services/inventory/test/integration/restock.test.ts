// The saga's side of issue 12 through the real broker (items 11 and 14): stock.reserved carries
// the reservation's expires_at, and `inventory.release` with `restock: true` gives back units an
// order's confirmation already sold (a plain release finds nothing reserved and stays silent, so
// an operator's forced compensation while confirming waited forever with the stock sold).
// Topics are isolated by a unique prefix, the outbox by a database of the file's own.
import { randomUUID } from 'node:crypto';
import { createEnvelope, KafkaBus, OutboxRelay, topicName, Topics, type AnyEnvelope, type Subscription } from '@sudamall/shared';
import { createTestTopics, eventually, testTopicPrefix, type TestDatabase } from '@sudamall/shared/testing';
import type { Pool } from 'pg';
import { subscribeConsumers } from '@sudamall/shared/service';
import { commandsConsumer } from '../../src/infra/commands-consumer';
import { TEST_KAFKA_BROKERS } from '../support/env';
import { createPrivateDatabase, seedProduct, silentLogger, startEngine, stockRow, testPool, type EngineHarness } from '../support/fixtures';

const TTL_SECONDS = 1200;
const prefix = testTopicPrefix();
let database: TestDatabase;
let pool: Pool;
let h: EngineHarness;
let bus: KafkaBus;
let relay: OutboxRelay;
let consumer: Subscription;
let listener: Subscription;
const received: AnyEnvelope[] = [];

beforeAll(async () => {
  database = await createPrivateDatabase();
  pool = testPool(6, database.url);
  h = await startEngine(pool, { defaultTtlSeconds: TTL_SECONDS });
  bus = new KafkaBus({ brokers: TEST_KAFKA_BROKERS, clientId: `inventory-restock-${randomUUID().slice(0, 8)}`, logger: silentLogger });
  await bus.connect();
  await createTestTopics(bus, prefix);
  relay = new OutboxRelay({ databaseUrl: database.url, bus, logger: silentLogger, topicPrefix: prefix, pollMs: 100 });
  await relay.start();
  [consumer] = await subscribeConsumers(bus, [commandsConsumer({ engine: h.engine, reservations: h.reservations, logger: silentLogger })], prefix);
  listener = await bus.subscribe({
    groupId: `listener-${prefix}`,
    topics: [topicName(prefix, Topics.inventoryEvents)],
    fromBeginning: true,
    handle: async (e) => {
      received.push(e);
    },
  });
}, 120_000);

afterAll(async () => {
  await listener?.stop();
  await consumer?.stop();
  await relay?.stop();
  await bus?.disconnect();
  await h?.close();
  await pool?.end();
  await database?.drop();
});

const commands = topicName(prefix, Topics.inventoryCommands);
const eventsFor = (orderId: string, type: string) => received.filter((e) => e.key === orderId && e.type === type);
const until = <T>(fn: () => T | Promise<T>) => eventually(fn, { timeoutMs: 30_000 });
/** Both the command's inbox row and everything it wrote are committed in one statement. */
const processed = (ids: string[]) =>
  until(async () => {
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM inbox WHERE event_id = ANY($1::uuid[])', [ids]);
    expect(rows[0].n).toBe(ids.length);
  });

it('stock.reserved carries the reservation expires_at (item 11: order caps the payment deadline by it)', async () => {
  const p = await seedProduct(pool, 5);
  const orderId = randomUUID();
  const before = Date.now();
  await bus.publish(commands, [
    createEnvelope('inventory.reserve', orderId, { order_id: orderId, lines: [{ line_id: 'l1', product_id: p.productId, size: null, quantity: 2 }] }),
  ]);
  const [reserved] = await until(() => {
    const found = eventsFor(orderId, 'stock.reserved');
    expect(found).toHaveLength(1);
    return found;
  });
  const expiresAt = (reserved.data as { expires_at?: string }).expires_at;
  expect(typeof expiresAt).toBe('string');
  const { rows } = await pool.query<{ expires_at: Date }>('SELECT expires_at FROM reservations WHERE order_id = $1', [orderId]);
  expect(rows.map((r) => r.expires_at.toISOString())).toEqual([expiresAt]);
  expect(new Date(expiresAt!).getTime()).toBeGreaterThanOrEqual(before + TTL_SECONDS * 1000);
  expect(new Date(expiresAt!).getTime()).toBeLessThanOrEqual(Date.now() + TTL_SECONDS * 1000);
});

it('restock gives sold units back to available exactly once and answers stock.released; a plain release of sold stock stays silent', async () => {
  const p = await seedProduct(pool, { M: 4, L: 3 });
  const orderId = randomUUID();
  const lines = [
    { line_id: 'a', product_id: p.productId, size: 'M', quantity: 1 },
    { line_id: 'b', product_id: p.productId, size: 'M', quantity: 2 },
    { line_id: 'c', product_id: p.productId, size: 'L', quantity: 3 },
  ];
  await bus.publish(commands, [
    createEnvelope('inventory.reserve', orderId, { order_id: orderId, lines }),
    createEnvelope('inventory.confirm', orderId, { order_id: orderId }),
  ]);
  await until(() => expect(eventsFor(orderId, 'stock.confirmed')).toHaveLength(1));
  expect(await stockRow(pool, p.stockIds.M)).toEqual({ available: 1, reserved: 0, sold: 3 });
  expect(await stockRow(pool, p.stockIds.L)).toEqual({ available: 0, reserved: 0, sold: 3 });

  // What the forced compensation used to send: nothing reserved to give back, no answer.
  const plain = createEnvelope('inventory.release', orderId, { order_id: orderId, reason: 'admin' });
  await bus.publish(commands, [plain]);
  await processed([plain.id]);
  expect(await stockRow(pool, p.stockIds.M)).toEqual({ available: 1, reserved: 0, sold: 3 });
  expect(eventsFor(orderId, 'stock.released')).toHaveLength(0);

  const restock = createEnvelope('inventory.release', orderId, { order_id: orderId, reason: 'admin', restock: true });
  await bus.publish(commands, [restock]);
  await until(() => expect(eventsFor(orderId, 'stock.released')).toHaveLength(1));
  expect(eventsFor(orderId, 'stock.released')[0].data).toMatchObject({ order_id: orderId, reason: 'admin' });
  expect(await stockRow(pool, p.stockIds.M)).toEqual({ available: 4, reserved: 0, sold: 0 });
  expect(await stockRow(pool, p.stockIds.L)).toEqual({ available: 3, reserved: 0, sold: 0 });

  // The same message redelivered: skipped. The saga re-sending it (a new message): answered
  // again, nothing given back twice.
  const resent = createEnvelope('inventory.release', orderId, { order_id: orderId, reason: 'admin', restock: true });
  await bus.publish(commands, [restock, resent]);
  await processed([restock.id, resent.id]);
  await until(() => expect(eventsFor(orderId, 'stock.released')).toHaveLength(2));
  expect(await stockRow(pool, p.stockIds.M)).toEqual({ available: 4, reserved: 0, sold: 0 });
  expect(await stockRow(pool, p.stockIds.L)).toEqual({ available: 3, reserved: 0, sold: 0 });
  const { rows } = await pool.query('SELECT line_id, status FROM reservations WHERE order_id = $1 ORDER BY line_id', [orderId]);
  expect(rows).toEqual([
    { line_id: 'a', status: 'released' },
    { line_id: 'b', status: 'released' },
    { line_id: 'c', status: 'released' },
  ]);
});

it('restock before the confirmation landed releases the reservation; the late confirm is rejected, not sold', async () => {
  const p = await seedProduct(pool, 5);
  const orderId = randomUUID();
  await bus.publish(commands, [
    createEnvelope('inventory.reserve', orderId, { order_id: orderId, lines: [{ line_id: 'a', product_id: p.productId, size: null, quantity: 2 }] }),
    createEnvelope('inventory.release', orderId, { order_id: orderId, reason: 'admin', restock: true }),
    createEnvelope('inventory.confirm', orderId, { order_id: orderId }),
  ]);
  await until(() => {
    expect(eventsFor(orderId, 'stock.released')).toHaveLength(1);
    expect(eventsFor(orderId, 'stock.rejected')[0]?.data).toMatchObject({ code: 'RESERVATION_RELEASED' });
  });
  expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 5, reserved: 0, sold: 0 });
});

it('restock racing a confirmation conserves the stock: every unit back in available once, whichever commits first', async () => {
  const p = await seedProduct(pool, 50);
  const orders = Array.from({ length: 10 }, () => randomUUID());
  for (const orderId of orders) {
    const r = await h.engine.reserve({
      order_id: orderId,
      lines: [
        { line_id: 'a', product_id: p.productId, quantity: 3 },
        { line_id: 'b', product_id: p.productId, quantity: 2 },
      ],
    });
    expect(r.status).toBe('reserved');
  }
  expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 0, reserved: 50, sold: 0 });
  await Promise.all(
    orders.flatMap((orderId) => [
      h.reservations.confirm.execute(orderId),
      h.reservations.restock.execute(orderId, 'race'),
      h.reservations.restock.execute(orderId, 'race'),
    ]),
  );
  expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 50, reserved: 0, sold: 0 });
});
