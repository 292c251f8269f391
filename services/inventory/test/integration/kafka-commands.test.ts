// inventory.commands through the real Kafka broker: a reserve command produces stock.reserved
// on inventory.events (through the outbox relay), a duplicated command changes nothing, and
// confirm / malformed commands are answered too. Topics are isolated by a unique prefix, the
// outbox by a database of the file's own (no other relay may publish its rows).
import { randomUUID } from 'node:crypto';
import { createEnvelope, KafkaBus, OutboxRelay, topicName, Topics, type AnyEnvelope, type Subscription } from '@sudamall/shared';
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
  pool = testPool(6, database.url);
  h = await startEngine(pool);
  bus = new KafkaBus({ brokers: TEST_KAFKA_BROKERS, clientId: `inventory-test-${randomUUID().slice(0, 8)}`, logger: silentLogger });
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

it('a reserve command produces stock.reserved; the same command again changes nothing', async () => {
  const p = await seedProduct(pool, 5);
  const orderId = randomUUID();
  const command = createEnvelope('inventory.reserve', orderId, {
    order_id: orderId,
    lines: [{ line_id: 'l1', product_id: p.productId, size: null, quantity: 2 }],
  });
  await bus.publish(commands, [command]);
  const [reserved] = await eventually(
    () => {
      const found = eventsFor(orderId, 'stock.reserved');
      expect(found).toHaveLength(1);
      return found;
    },
    { timeoutMs: 30_000 },
  );
  expect(reserved.data).toMatchObject({ order_id: orderId, lines: [{ line_id: 'l1', product_id: p.productId, size: null, quantity: 2 }] });
  // stock.changed is keyed by product, so it may travel on another partition: wait for it too.
  await eventually(() => expect(received.some((e) => e.key === p.productId && e.type === 'stock.changed')).toBe(true), {
    timeoutMs: 30_000,
  });

  // Redelivery of the very same message: acknowledged and skipped.
  await bus.publish(commands, [command]);
  const marker = createEnvelope('inventory.release', randomUUID(), { order_id: randomUUID(), reason: 'marker' });
  await bus.publish(commands, [marker]);
  // Commands of one key are handled in order, but the marker has another key: wait until the
  // consumer has recorded both messages in its inbox before looking.
  await eventually(
    async () => {
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM inbox WHERE event_id = ANY($1::uuid[])', [[command.id, marker.id]]);
      expect(rows[0].n).toBe(2);
    },
    { timeoutMs: 30_000 },
  );
  await new Promise((r) => setTimeout(r, 500));
  expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 3, reserved: 2, sold: 0 });
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM outbox WHERE key = $1 AND type = 'stock.reserved'`, [orderId]);
  expect(rows[0].n).toBe(1);
});

it('confirm answers stock.confirmed; an impossible reserve answers stock.rejected', async () => {
  const p = await seedProduct(pool, { M: 1 });
  const orderId = randomUUID();
  await bus.publish(commands, [
    createEnvelope('inventory.reserve', orderId, { order_id: orderId, lines: [{ line_id: 'a', product_id: p.productId, size: 'M', quantity: 1 }] }),
    createEnvelope('inventory.confirm', orderId, { order_id: orderId }),
  ]);
  const short = randomUUID();
  const malformed = randomUUID();
  await bus.publish(commands, [
    createEnvelope('inventory.reserve', short, { order_id: short, lines: [{ line_id: 'a', product_id: p.productId, size: 'M', quantity: 5 }] }),
    createEnvelope('inventory.reserve', malformed, { order_id: malformed, lines: [{ line_id: 'a', product_id: p.productId, size: 'M', quantity: 0 }] }),
  ]);
  await eventually(
    () => {
      expect(eventsFor(orderId, 'stock.confirmed')).toHaveLength(1);
      expect(eventsFor(short, 'stock.rejected')[0]?.data).toMatchObject({ code: 'INSUFFICIENT_STOCK' });
      expect(eventsFor(malformed, 'stock.rejected')[0]?.data).toMatchObject({ code: 'INVALID_QUANTITY' });
    },
    { timeoutMs: 30_000 },
  );
  expect(await stockRow(pool, p.stockIds.M)).toEqual({ available: 0, reserved: 0, sold: 1 });
});

it('a command nobody can answer is dropped and does not block its partition', async () => {
  const p = await seedProduct(pool, 3);
  const orderId = randomUUID();
  const key = `poison-${randomUUID()}`;
  // Same key, so both land on one partition, the poison first.
  const poison = { ...createEnvelope('inventory.confirm', key, { order_id: orderId }), data: {} } as unknown as ReturnType<typeof createEnvelope>;
  const after = createEnvelope('inventory.reserve', key, { order_id: orderId, lines: [{ line_id: 'a', product_id: p.productId, size: null, quantity: 1 }] });
  await bus.publish(commands, [poison, after]);
  await eventually(() => expect(eventsFor(orderId, 'stock.reserved')).toHaveLength(1), { timeoutMs: 30_000 });
});
