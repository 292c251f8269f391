// Carts follow the catalogue: inventory.events on a real Kafka broker (topics under a prefix of
// this file's own), consumed by the cart's real consumer into real PostgreSQL.
import { randomUUID } from 'node:crypto';
import { KafkaBus, Topics, createEnvelope, createLogger, money, subscribeConsumers, topicName, type Envelope, type Subscription } from '@sudamall/shared';
import { createTestTopics, eventually, testTopicPrefix } from '@sudamall/shared/testing';
import { Client } from 'pg';
import { cartConsumers } from '../../src/infra/consumers';
import { CartStore } from '../../src/infra/cart-store';
import { DATABASE_URL, startHarness, newBuyer, type Harness } from '../support/harness';

const CARTS = '/api/v1/carts';
type Buyer = ReturnType<typeof newBuyer>;

let h: Harness;
let bus: KafkaBus;
let subscriptions: Subscription[];
const prefix = testTopicPrefix();

const publish = (envelope: Envelope) => bus.publish(topicName(prefix, Topics.inventoryEvents), [envelope]);
const add = (buyer: Buyer, body: Record<string, unknown>) => h.app.inject({ method: 'POST', url: `${CARTS}/add/`, headers: buyer.auth, payload: body });
const cartOf = async (buyer: Buyer) => (await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: buyer.auth })).json();
const itemsOf = async (buyer: Buyer) => (await h.container.useCases.getCart.execute(buyer.id, { takeChanges: false })).items;

beforeAll(async () => {
  h = await startHarness();
  const logger = createLogger({ name: 'cart-sync-test', level: 'silent' });
  bus = new KafkaBus({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), clientId: 'cart-sync-test', logger });
  await createTestTopics(bus, prefix);
  subscriptions = await subscribeConsumers(bus, cartConsumers(h.container.useCases, logger), prefix);
  // Wait until the consumer has joined and handles messages, so timings below measure the sync.
  const buyer = newBuyer();
  const p = h.inventory.add({ price: '1.00' });
  await add(buyer, { product_id: p.id, quantity: 1 });
  await publish(createEnvelope('product.price_changed', p.id, { product_id: p.id, old_price: '1.00', new_price: '2.00' }));
  await eventually(async () => expect((await itemsOf(buyer))[0]?.currentPrice.toFixed(2)).toBe('2.00'), { timeoutMs: 45000 });
}, 60000);

afterAll(async () => {
  await Promise.allSettled(subscriptions.map((s) => s.stop()));
  await bus.disconnect();
  await h.close();
});

it('shows a price change in the cart within a second, with what changed and why, once', async () => {
  const buyer = newBuyer();
  const p = h.inventory.add({ name: 'Kettle', price: '30.00' });
  await add(buyer, { product_id: p.id, quantity: 2 });

  const published = Date.now();
  await publish(createEnvelope('product.price_changed', p.id, { product_id: p.id, old_price: '30.00', new_price: '27.50' }));
  await eventually(async () => expect((await itemsOf(buyer))[0].currentPrice.toFixed(2)).toBe('27.50'), { timeoutMs: 1000, intervalMs: 20 });
  expect(Date.now() - published).toBeLessThan(1000);

  const cart = await cartOf(buyer);
  expect(cart.items[0]).toMatchObject({ price_when_added: '30.00', current_price: '27.50', subtotal: '55.00' });
  expect(cart.total).toBe('55.00');
  expect(cart.changes).toEqual([
    expect.objectContaining({
      kind: 'price_changed',
      reason: 'price_changed',
      product_id: p.id,
      old_value: '30.00',
      new_value: '27.50',
      message: 'The price of Kettle changed from 30.00 to 27.50.',
    }),
  ]);
  expect((await cartOf(buyer)).changes).toEqual([]);
});

it('removes a deleted product from every cart holding it, and tells each buyer', async () => {
  const buyers = [newBuyer(), newBuyer(), newBuyer()];
  const doomed = h.inventory.add({ name: 'Lamp' });
  const other = h.inventory.add({ name: 'Rug' });
  for (const b of buyers) {
    await add(b, { product_id: doomed.id, quantity: 1 });
    await add(b, { product_id: other.id, quantity: 1 });
  }
  await publish(createEnvelope('product.deleted', doomed.id, { product_id: doomed.id }));
  for (const b of buyers) {
    await eventually(async () => expect((await itemsOf(b)).map((i) => i.productId)).toEqual([other.id]), { timeoutMs: 5000 });
    const cart = await cartOf(b);
    expect(cart.changes).toEqual([expect.objectContaining({ kind: 'removed', reason: 'product_deleted', product_id: doomed.id, product_name: 'Lamp' })]);
  }
});

it('removes the items of a size that disappeared, keeping the other sizes', async () => {
  const buyer = newBuyer();
  const p = h.inventory.add({ name: 'Cap', price: '12.00', sizes: { S: 3, M: 3 } });
  await add(buyer, { product_id: p.id, quantity: 1, size: 'S' });
  await add(buyer, { product_id: p.id, quantity: 1, size: 'M' });
  await publish(createEnvelope('product.updated', p.id, { product_id: p.id, product_name: 'Cap', price: '12.00', has_sizes: true, sizes: ['S'] }));
  await eventually(async () => expect((await itemsOf(buyer)).map((i) => i.size)).toEqual(['S']), { timeoutMs: 5000 });
  expect((await cartOf(buyer)).changes).toEqual([expect.objectContaining({ kind: 'size_removed', size: 'M', product_id: p.id })]);
});

it('moves the items of a renamed size to its new name (then kept by the product.updated listing it), silently', async () => {
  const buyer = newBuyer();
  const other = newBuyer();
  const p = h.inventory.add({ name: 'Sock', price: '5.00', sizes: { S: 3, M: 3 } });
  await add(buyer, { product_id: p.id, quantity: 2, size: 'S' });
  await add(buyer, { product_id: p.id, quantity: 1, size: 'M' });
  await add(other, { product_id: p.id, quantity: 1, size: 'S' });
  // What inventory sends for a rename, in this order on the product's partition.
  await publish(createEnvelope('product.size_renamed', p.id, { product_id: p.id, size_id: randomUUID(), old_size: 'S', new_size: 'Small' }));
  await publish(
    createEnvelope('product.updated', p.id, {
      product_id: p.id,
      product_name: 'Sock',
      price: '5.00',
      current_price: '5.00',
      has_sizes: true,
      sizes: ['M', 'Small'],
    }),
  );
  await eventually(async () => expect((await itemsOf(other)).map((i) => i.size)).toEqual(['Small']), { timeoutMs: 5000 });
  expect((await itemsOf(buyer)).map((i) => [i.size, i.quantity]).sort()).toEqual([
    ['M', 1],
    ['Small', 2],
  ]);
  expect((await cartOf(buyer)).changes).toEqual([]);
});

it('lowers quantities above the stock left, and removes items when none is left', async () => {
  const buyer = newBuyer();
  const p = h.inventory.add({ name: 'Shoe', sizes: { '41': 5, '42': 5 } });
  await add(buyer, { product_id: p.id, quantity: 4, size: '41' });
  await add(buyer, { product_id: p.id, quantity: 2, size: '42' });
  await publish(
    createEnvelope('stock.changed', p.id, {
      product_id: p.id,
      has_sizes: true,
      available_quantity: 1,
      reserved_quantity: 0,
      sold_quantity: 9,
      sizes: [
        { size: '41', available_quantity: 1, reserved_quantity: 0, sold_quantity: 4 },
        { size: '42', available_quantity: 0, reserved_quantity: 0, sold_quantity: 5 },
      ],
    }),
  );
  await eventually(async () => expect((await itemsOf(buyer)).map((i) => [i.size, i.quantity])).toEqual([['41', 1]]), { timeoutMs: 5000 });
  const changes = (await cartOf(buyer)).changes;
  expect(changes).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ kind: 'quantity_reduced', size: '41', old_value: '4', new_value: '1', reason: 'stock_reduced' }),
      expect.objectContaining({ kind: 'removed', size: '42', reason: 'out_of_stock' }),
    ]),
  );
});

/** A stock.changed of a product without sizes: `available` left, the rest reserved. */
const stockLeft = (productId: string, available: number, reserved: number) =>
  createEnvelope('stock.changed', productId, {
    product_id: productId,
    has_sizes: false,
    available_quantity: available,
    reserved_quantity: reserved,
    sold_quantity: 0,
    sizes: [],
  });

it('locks and changes only the lines above the stock left, however many carts hold the product', async () => {
  const p = h.inventory.add({ name: 'Mug', sizes: { S: 9, M: 9 } });
  const under = [newBuyer(), newBuyer(), newBuyer()];
  const over = newBuyer();
  for (const b of under) await add(b, { product_id: p.id, quantity: 2, size: 'S' });
  await add(over, { product_id: p.id, quantity: 5, size: 'M' });
  const linesOfS = () => h.container.sql.query(`SELECT id, updated_at FROM cart_items WHERE product_id = $1 AND size = 'S' ORDER BY id`, [p.id]);
  const untouched = await linesOfS();
  // Another transaction holds the lines the stock still covers: a sync that locked every line of
  // the product would wait for it.
  const holder = new Client({ connectionString: DATABASE_URL });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query(`SELECT id FROM cart_items WHERE product_id = $1 AND size = 'S' FOR UPDATE`, [p.id]);
    const applied = await Promise.race([
      h.container.useCases.applyCatalogEvent.execute(
        createEnvelope('stock.changed', p.id, {
          product_id: p.id,
          has_sizes: true,
          available_quantity: 5,
          reserved_quantity: 0,
          sold_quantity: 13,
          sizes: [
            { size: 'S', available_quantity: 2, reserved_quantity: 0, sold_quantity: 7 },
            { size: 'M', available_quantity: 3, reserved_quantity: 0, sold_quantity: 6 },
          ],
        }),
      ),
      new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 3000)),
    ]);
    expect(applied).toMatchObject({ outcome: 'applied', changes: [expect.objectContaining({ kind: 'quantity_reduced', oldValue: '5', newValue: '3' })] });
  } finally {
    await holder.query('ROLLBACK');
    await holder.end();
  }
  expect((await itemsOf(over)).map((i) => [i.size, i.quantity])).toEqual([['M', 3]]);
  expect(await linesOfS()).toEqual(untouched);
  for (const b of under) expect((await cartOf(b)).changes).toEqual([]);
});

it('records a stock movement every line is within as handled, in one statement, and its redelivery as a duplicate', async () => {
  const p = h.inventory.add({ name: 'Bowl', available: 9 });
  const buyer = newBuyer();
  await add(buyer, { product_id: p.id, quantity: 2 });
  const [before] = await h.container.sql.query(`SELECT updated_at, synced_at FROM cart_items WHERE product_id = $1`, [p.id]);
  const event = stockLeft(p.id, 2, 7);
  const { applyCatalogEvent } = h.container.useCases;
  expect(await applyCatalogEvent.execute(event)).toEqual({ outcome: 'applied', changes: [] });
  expect(await applyCatalogEvent.execute(event)).toEqual({ outcome: 'duplicate', changes: [] });
  expect(await h.container.sql.query(`SELECT count(*)::int AS n FROM inbox WHERE event_id = $1::uuid`, [event.id])).toEqual([{ n: 1 }]);
  expect(await h.container.sql.query(`SELECT updated_at, synced_at FROM cart_items WHERE product_id = $1`, [p.id])).toEqual([before]);

  // One unit fewer than the line holds: applied in a transaction, once.
  const cut = stockLeft(p.id, 1, 8);
  expect(await applyCatalogEvent.execute(cut)).toMatchObject({ outcome: 'applied', changes: [expect.objectContaining({ kind: 'quantity_reduced' })] });
  expect(await applyCatalogEvent.execute(cut)).toEqual({ outcome: 'duplicate', changes: [] });
  expect((await itemsOf(buyer)).map((i) => i.quantity)).toEqual([1]);
});

it('changes nothing when an event is delivered again', async () => {
  const buyer = newBuyer();
  const p = h.inventory.add({ price: '10.00' });
  await add(buyer, { product_id: p.id, quantity: 1 });
  const first = createEnvelope('product.price_changed', p.id, { product_id: p.id, old_price: '10.00', new_price: '12.00' });
  const second = createEnvelope('product.price_changed', p.id, { product_id: p.id, old_price: '12.00', new_price: '15.00' });
  await publish(first);
  await publish(second);
  await publish(first); // replayed after a later change: must not bring 12.00 back
  const marker = h.inventory.add({});
  const markerBuyer = newBuyer();
  await add(markerBuyer, { product_id: marker.id, quantity: 1 });
  // Same key, same partition: once this later event is applied, the replay before it was handled.
  await publish(createEnvelope('product.price_changed', p.id, { product_id: marker.id, old_price: '10.00', new_price: '11.00' }));
  await eventually(async () => expect((await itemsOf(markerBuyer))[0].currentPrice.toFixed(2)).toBe('11.00'), { timeoutMs: 5000 });

  expect((await itemsOf(buyer))[0].currentPrice.toFixed(2)).toBe('15.00');
  const changes = (await cartOf(buyer)).changes;
  expect(changes.map((c: { new_value: string }) => c.new_value)).toEqual(['12.00', '15.00']);
});

it('records an event handled twice once: the inbox turns the second into a no-op', async () => {
  const buyer = newBuyer();
  const p = h.inventory.add({ price: '10.00' });
  await add(buyer, { product_id: p.id, quantity: 1 });
  const event = createEnvelope('product.price_changed', p.id, { product_id: p.id, old_price: '10.00', new_price: '11.00' });
  const first = await h.container.useCases.applyCatalogEvent.execute(event);
  const again = await h.container.useCases.applyCatalogEvent.execute(event);
  expect(first).toMatchObject({ outcome: 'applied', changes: [expect.objectContaining({ kind: 'price_changed' })] });
  expect(again).toEqual({ outcome: 'duplicate', changes: [] });
  expect((await cartOf(buyer)).changes).toHaveLength(1);
});

it('keeps a newer price from an event when an add that looked up the price earlier lands after it', async () => {
  const buyer = newBuyer();
  const p = h.inventory.add({ price: '10.00' });
  await add(buyer, { product_id: p.id, quantity: 1 });
  const lookedUpAt = new Date();
  await h.container.useCases.applyCatalogEvent.execute(
    createEnvelope(
      'product.price_changed',
      p.id,
      { product_id: p.id, old_price: '10.00', new_price: '12.00' },
      { occurredAt: new Date(lookedUpAt.getTime() + 5) },
    ),
  );
  const store = new CartStore(h.container.sql);
  const result = await store.addItem({
    userId: buyer.id,
    productId: p.id,
    productName: 'stale name',
    size: '',
    quantity: 1,
    price: money('10.00'),
    maxTotal: 100,
    checkedAt: lookedUpAt,
  });
  expect(result).toMatchObject({ ok: true, item: { quantity: 2 } });
  expect((await itemsOf(buyer))[0].currentPrice.toFixed(2)).toBe('12.00');
});

it('ignores an event older than the live price the item was added with', async () => {
  const buyer = newBuyer();
  const p = h.inventory.add({ price: '20.00' });
  await add(buyer, { product_id: p.id, quantity: 1 });
  const stale = createEnvelope(
    'product.price_changed',
    p.id,
    { product_id: p.id, old_price: '18.00', new_price: '19.00' },
    { occurredAt: new Date(Date.now() - 60_000) },
  );
  await publish(stale);
  await publish(createEnvelope('product.price_changed', p.id, { product_id: p.id, old_price: '20.00', new_price: '21.00' }));
  await eventually(async () => expect((await itemsOf(buyer))[0].currentPrice.toFixed(2)).toBe('21.00'), { timeoutMs: 5000 });
  expect((await cartOf(buyer)).changes.map((c: { new_value: string }) => c.new_value)).toEqual(['21.00']);
});

it('reports the changes the sync made in the next validation', async () => {
  const buyer = newBuyer();
  const p = h.inventory.add({ name: 'Jug', price: '5.00' });
  await add(buyer, { product_id: p.id, quantity: 1 });
  h.inventory.update(p.id, { price: '6.00' });
  await publish(createEnvelope('product.price_changed', p.id, { product_id: p.id, old_price: '5.00', new_price: '6.00' }));
  await eventually(async () => expect((await itemsOf(buyer))[0].currentPrice.toFixed(2)).toBe('6.00'), { timeoutMs: 5000 });

  const v = (await h.app.inject({ method: 'POST', url: `${CARTS}/validate/`, headers: buyer.auth })).json();
  expect(v.valid).toBe(false);
  expect(v.items_updated).toEqual([expect.objectContaining({ product_id: p.id, old_price: '5.00', new_price: '6.00' })]);
  expect(v.problems).toEqual([expect.objectContaining({ code: 'PRICE_CHANGED', message: 'The price of Jug changed from 5.00 to 6.00.' })]);
  expect((await cartOf(buyer)).changes).toEqual([]);
});

it('settles a checkout left pending once order.events says the order is under_paying', async () => {
  const buyer = newBuyer();
  const p = h.inventory.add({ available: 5 });
  await add(buyer, { product_id: p.id, quantity: 2 });
  h.orders.answerPending = true;
  let res;
  try {
    res = await h.app.inject({
      method: 'POST',
      url: `${CARTS}/checkout/full/`,
      headers: { ...buyer.auth, 'idempotency-key': randomUUID() },
      payload: { shipping_address: 'x' },
    });
  } finally {
    h.orders.answerPending = false;
  }
  expect(res.json().status).toBe('pending');
  const orderId = res.json().order_id as string;
  await bus.publish(topicName(prefix, Topics.orderEvents), [
    createEnvelope('order.status_changed', orderId, {
      order_id: orderId,
      user_id: buyer.id,
      from: 'pending',
      to: 'under_paying',
      reason: null,
      payment_expires_at: new Date(Date.now() + 900_000).toISOString(),
    }),
  ]);
  await eventually(async () => expect(await itemsOf(buyer)).toEqual([]), { timeoutMs: 15000 });
});
