// inventory.restock through the real broker and database (issue 13: a store's part cancelled
// after payment, a returned line): only units a line SOLD come back, once per restock_id, never
// more than sold across restocks, and a whole-order restock (inventory.release restock: true)
// gives back only the rest, whichever order they land in and however they race.
// Topics are isolated by a unique prefix, the outbox by a database of the file's own.
import { randomUUID } from 'node:crypto';
import { createEnvelope, KafkaBus, OutboxRelay, topicName, Topics, type AnyEnvelope, type StockRestockedEvent, type Subscription } from '@sudamall/shared';
import { createTestTopics, eventually, testTopicPrefix, type TestDatabase } from '@sudamall/shared/testing';
import type { Pool } from 'pg';
import { subscribeConsumers } from '@sudamall/shared/service';
import { commandsConsumer } from '../../src/infra/commands-consumer';
import { TEST_KAFKA_BROKERS } from '../support/env';
import { createPrivateDatabase, seedProduct, silentLogger, startEngine, stockRow, testPool, type EngineHarness } from '../support/fixtures';

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
  pool = testPool(8, database.url);
  h = await startEngine(pool);
  bus = new KafkaBus({ brokers: TEST_KAFKA_BROKERS, clientId: `inventory-restock-lines-${randomUUID().slice(0, 8)}`, logger: silentLogger });
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
const restockedFor = (orderId: string, restockId: string) =>
  eventsFor(orderId, 'stock.restocked').filter((e) => (e.data as StockRestockedEvent).restock_id === restockId);
const until = <T>(fn: () => T | Promise<T>) => eventually(fn, { timeoutMs: 30_000 });
const processed = (ids: string[]) =>
  until(async () => {
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM inbox WHERE event_id = ANY($1::uuid[])', [ids]);
    expect(rows[0].n).toBe(ids.length);
  });
const total = (r: { available: number; reserved: number; sold: number }) => r.available + r.reserved + r.sold;
const restockCommand = (orderId: string, restockId: string, lines: Array<[string, number]>, reason = 'returned') =>
  createEnvelope('inventory.restock', orderId, {
    order_id: orderId,
    restock_id: restockId,
    reason,
    lines: lines.map(([line_id, quantity]) => ({ line_id, quantity })),
  });

/** A confirmed order (reserve + confirm straight through the engine). */
async function soldOrder(lines: Array<{ line_id: string; product_id: string; size?: string; quantity: number }>): Promise<string> {
  const orderId = randomUUID();
  const r = await h.engine.reserve({ order_id: orderId, lines });
  expect(r.status).toBe('reserved');
  expect((await h.reservations.confirm.execute(orderId)).status).toBe('confirmed');
  return orderId;
}

/** The e2e invariant with partial restocks: sold = what confirmed lines still hold. */
async function soldMatchesLines(stockId: string): Promise<void> {
  const { rows } = await pool.query<{ sold: number; held: number }>(
    `SELECT s.sold, coalesce((SELECT sum(quantity - restocked) FROM reservations r WHERE r.stock_id = s.id AND r.status = 'confirmed'), 0)::int AS held
       FROM stock s WHERE s.id = $1`,
    [stockId],
  );
  expect(rows[0].sold).toBe(rows[0].held);
}

it('a partial restock gives back exactly those units (sold → available) and answers stock.restocked; stock.changed follows', async () => {
  const p = await seedProduct(pool, { M: 5, L: 4 });
  const orderId = await soldOrder([
    { line_id: 'a', product_id: p.productId, size: 'M', quantity: 3 },
    { line_id: 'b', product_id: p.productId, size: 'L', quantity: 4 },
  ]);
  const before = { M: await stockRow(pool, p.stockIds.M), L: await stockRow(pool, p.stockIds.L) };
  expect(before).toEqual({ M: { available: 2, reserved: 0, sold: 3 }, L: { available: 0, reserved: 0, sold: 4 } });

  const restockId = randomUUID();
  await bus.publish(commands, [restockCommand(orderId, restockId, [['a', 2]])]);
  const [answer] = await until(() => {
    const found = restockedFor(orderId, restockId);
    expect(found).toHaveLength(1);
    return found;
  });
  expect(answer.data).toEqual({ order_id: orderId, restock_id: restockId, lines: [{ line_id: 'a', product_id: p.productId, size: 'M', quantity: 2 }] });
  const M = await stockRow(pool, p.stockIds.M);
  expect(M).toEqual({ available: 4, reserved: 0, sold: 1 });
  expect(total(M)).toBe(total(before.M));
  expect(await stockRow(pool, p.stockIds.L)).toEqual(before.L);
  await soldMatchesLines(p.stockIds.M);
  await until(() => {
    const changed = received.filter((e) => e.key === p.productId && e.type === 'stock.changed').at(-1);
    expect(changed?.data).toMatchObject({ product_id: p.productId, available_quantity: 4, sold_quantity: 5 });
  });
  const { rows } = await pool.query('SELECT line_id, status, restocked FROM reservations WHERE order_id = $1 ORDER BY line_id', [orderId]);
  expect(rows).toEqual([
    { line_id: 'a', status: 'confirmed', restocked: 2 },
    { line_id: 'b', status: 'confirmed', restocked: 0 },
  ]);
});

it('the same restock_id re-sent applies nothing more and answers the same; a redelivered message is skipped', async () => {
  const p = await seedProduct(pool, 6);
  const orderId = await soldOrder([{ line_id: 'a', product_id: p.productId, quantity: 4 }]);
  const restockId = randomUUID();
  const first = restockCommand(orderId, restockId, [['a', 1]]);
  await bus.publish(commands, [first]);
  await until(() => expect(restockedFor(orderId, restockId)).toHaveLength(1));
  expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 3, reserved: 0, sold: 3 });

  // The saga re-sends it (a new message, a larger quantity even): the stored answer again.
  const resent = restockCommand(orderId, restockId, [['a', 3]]);
  await bus.publish(commands, [first, resent]);
  await processed([first.id, resent.id]);
  await until(() => expect(restockedFor(orderId, restockId)).toHaveLength(2));
  const [a, b] = restockedFor(orderId, restockId);
  expect(b.data).toEqual(a.data);
  expect(b.id).not.toBe(a.id);
  expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 3, reserved: 0, sold: 3 });
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM restocks WHERE order_id = $1', [orderId]);
  expect(rows[0].n).toBe(1);
});

it('two restocks of one line never give back more than it sold', async () => {
  const p = await seedProduct(pool, { S: 3 });
  const orderId = await soldOrder([{ line_id: 'a', product_id: p.productId, size: 'S', quantity: 3 }]);
  const first = await h.reservations.restockLines.execute({
    order_id: orderId,
    restock_id: randomUUID(),
    reason: 'returned',
    lines: [{ line_id: 'a', quantity: 2 }],
  });
  const second = await h.reservations.restockLines.execute({
    order_id: orderId,
    restock_id: randomUUID(),
    reason: 'returned',
    lines: [{ line_id: 'a', quantity: 2 }],
  });
  const third = await h.reservations.restockLines.execute({
    order_id: orderId,
    restock_id: randomUUID(),
    reason: 'returned',
    lines: [{ line_id: 'a', quantity: 1 }],
  });
  expect([first, second, third].map((r) => r.lines[0].quantity)).toEqual([2, 1, 0]);
  expect(await stockRow(pool, p.stockIds.S)).toEqual({ available: 3, reserved: 0, sold: 0 });
  await soldMatchesLines(p.stockIds.S);
});

it('a partial restock then a whole-order restock gives back the rest only; the other way round the partial gets 0', async () => {
  const p = await seedProduct(pool, { M: 5, L: 5 });
  const lines = [
    { line_id: 'a', product_id: p.productId, size: 'M', quantity: 4 },
    { line_id: 'b', product_id: p.productId, size: 'L', quantity: 2 },
  ];
  const orderId = await soldOrder(lines);
  await bus.publish(commands, [
    restockCommand(
      orderId,
      randomUUID(),
      [
        ['a', 3],
        ['b', 1],
      ],
      'store cancelled',
    ),
  ]);
  await until(() => expect(eventsFor(orderId, 'stock.restocked')).toHaveLength(1));
  expect(await stockRow(pool, p.stockIds.M)).toEqual({ available: 4, reserved: 0, sold: 1 });
  expect(await stockRow(pool, p.stockIds.L)).toEqual({ available: 4, reserved: 0, sold: 1 });

  await bus.publish(commands, [createEnvelope('inventory.release', orderId, { order_id: orderId, reason: 'cancelled', restock: true })]);
  await until(() => expect(eventsFor(orderId, 'stock.released')).toHaveLength(1));
  expect(await stockRow(pool, p.stockIds.M)).toEqual({ available: 5, reserved: 0, sold: 0 });
  expect(await stockRow(pool, p.stockIds.L)).toEqual({ available: 5, reserved: 0, sold: 0 });

  // Whole-order first: the lines are released, nothing more comes back.
  const other = await soldOrder(lines);
  await h.reservations.restock.execute(other, 'cancelled');
  const late = await h.reservations.restockLines.execute({
    order_id: other,
    restock_id: randomUUID(),
    reason: 'returned',
    lines: [{ line_id: 'a', quantity: 1 }],
  });
  expect(late.lines).toEqual([{ line_id: 'a', product_id: p.productId, size: 'M', quantity: 0 }]);
  expect(await stockRow(pool, p.stockIds.M)).toEqual({ available: 5, reserved: 0, sold: 0 });
  expect(await stockRow(pool, p.stockIds.L)).toEqual({ available: 5, reserved: 0, sold: 0 });
});

it('concurrent restock_ids on one line never give back more than it sold', async () => {
  const p = await seedProduct(pool, 20);
  const orderId = await soldOrder([{ line_id: 'a', product_id: p.productId, quantity: 7 }]);
  const answers = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      h.reservations.restockLines.execute({
        order_id: orderId,
        restock_id: randomUUID(),
        reason: 'returned',
        lines: [{ line_id: 'a', quantity: 1 + (i % 2) }],
      }),
    ),
  );
  expect(answers.reduce((n, a) => n + a.lines[0].quantity, 0)).toBe(7);
  expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 20, reserved: 0, sold: 0 });
  await soldMatchesLines(p.stockIds['']);
});

it('restocks racing a confirm and a whole-order restock conserve the stock: every unit back once', async () => {
  const p = await seedProduct(pool, 40);
  const orders: string[] = [];
  for (let i = 0; i < 8; i++) {
    const orderId = randomUUID();
    const r = await h.engine.reserve({
      order_id: orderId,
      lines: [
        { line_id: 'a', product_id: p.productId, quantity: 3 },
        { line_id: 'b', product_id: p.productId, quantity: 2 },
      ],
    });
    expect(r.status).toBe('reserved');
    orders.push(orderId);
  }
  const given: number[] = [];
  const partial = (orderId: string) =>
    h.reservations.restockLines
      .execute({
        order_id: orderId,
        restock_id: randomUUID(),
        reason: 'race',
        lines: [
          { line_id: 'a', quantity: 2 },
          { line_id: 'b', quantity: 1 },
        ],
      })
      .then((a) => given.push(...a.lines.map((l) => l.quantity)));
  await Promise.all(
    orders.flatMap((orderId) => [h.reservations.confirm.execute(orderId), partial(orderId), partial(orderId), h.reservations.restock.execute(orderId, 'race')]),
  );
  expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 40, reserved: 0, sold: 0 });
  expect(given.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(40);
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM reservations WHERE order_id = ANY($1) AND status <> 'released'`, [orders]);
  expect(rows[0].n).toBe(0);
});

it('unknown and unconfirmed lines get 0, and so does an unknown order; a malformed restock is dropped without blocking', async () => {
  const p = await seedProduct(pool, { M: 3 });
  const orderId = randomUUID();
  expect((await h.engine.reserve({ order_id: orderId, lines: [{ line_id: 'a', product_id: p.productId, size: 'M', quantity: 2 }] })).status).toBe('reserved');
  const restockId = randomUUID();
  const malformed = { ...restockCommand(orderId, randomUUID(), [['a', 1]]), data: { order_id: orderId, lines: [] } } as unknown as AnyEnvelope;
  await bus.publish(commands, [
    malformed,
    restockCommand(orderId, restockId, [
      ['a', 2],
      ['nope', 1],
    ]),
  ]);
  const [answer] = await until(() => {
    const found = restockedFor(orderId, restockId);
    expect(found).toHaveLength(1);
    return found;
  });
  expect(answer.data).toEqual({
    order_id: orderId,
    restock_id: restockId,
    lines: [
      { line_id: 'a', product_id: p.productId, size: 'M', quantity: 0 },
      { line_id: 'nope', product_id: '', size: null, quantity: 0 },
    ],
  });
  expect(await stockRow(pool, p.stockIds.M)).toEqual({ available: 1, reserved: 2, sold: 0 });

  const unknown = randomUUID();
  const none = await h.reservations.restockLines.execute({
    order_id: unknown,
    restock_id: randomUUID(),
    reason: 'returned',
    lines: [{ line_id: 'a', quantity: 1 }],
  });
  expect(none.lines).toEqual([{ line_id: 'a', product_id: '', size: null, quantity: 0 }]);
});
