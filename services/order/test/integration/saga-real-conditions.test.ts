import { randomUUID } from 'node:crypto';
import { ConfigError } from '@sudamall/shared';
import { eventually } from '@sudamall/shared/testing';
import { loadConfig } from '../../src/config';
import { InventoryModel } from '../fixtures/inventory-model';
import { startHarness, type Harness } from '../fixtures/harness';

// The checkout saga under real conditions, on real PostgreSQL and Kafka: a stock.reserved
// processed long after inventory reserved (a lagging consumer) must not leave the order payable
// after the reservation lapses (issue 12 item 11), and an operator's forced compensation of a
// saga stuck confirming gives the sold units back and finishes (item 14).

const WINDOW_SECONDS = 900;
const MARGIN_SECONDS = 60;
let h: Harness;
let inventory: InventoryModel;
beforeAll(async () => {
  h = await startHarness({ env: { PAYMENT_WINDOW_SECONDS: String(WINDOW_SECONDS), RESERVATION_EXPIRY_MARGIN_SECONDS: String(MARGIN_SECONDS) } });
  inventory = new InventoryModel(h);
  h.onCommand = async (e) => {
    if (e.type === 'inventory.reserve' && (e.data as { lines: Array<{ product_id: string }> }).lines.some((l) => manualProducts.has(l.product_id)))
      manual.add(e.key);
    if (e.type.startsWith('inventory.') && !manual.has(e.key)) await inventory.handle(e);
  };
}, 120_000);
afterAll(async () => {
  await h?.close();
});

/** Orders (and their products) whose inventory replies the test publishes itself. */
const manual = new Set<string>();
const manualProducts = new Set<string>();
const commandsFor = (orderId: string, type: string) => h.commands.filter((e) => e.key === orderId && e.type === type);

async function place(opts: { manualInventory?: boolean } = {}) {
  const product = h.catalog.add({ price: '12.50' });
  const userId = randomUUID();
  // Known before the command goes out, so the participant loop leaves the order to the test.
  if (opts.manualInventory) manualProducts.add(product.id);
  const { orderId } = await h.c.useCases.placeOrder.execute({
    userId,
    idempotencyKey: randomUUID(),
    items: [{ productId: product.id, quantity: 2 }],
    shippingAddress: '1 Main St',
    waitMs: 0,
  });
  return { orderId, userId };
}

async function untilSaga(orderId: string, state: string, timeoutMs = 30_000) {
  const read = () => h.c.db.order.findUniqueOrThrow({ where: { id: orderId }, include: { saga: true } });
  await eventually(
    async () => {
      expect((await read()).saga?.state).toBe(state);
    },
    { timeoutMs },
  );
  // Read again: Prisma reads the order and its saga in two queries, so the read that saw the
  // saga's new state may hold the order as it was just before the same transaction (a CI run
  // saw awaiting_payment beside pending).
  return read();
}

async function reserveLines(orderId: string) {
  const [reserve] = await eventually(() => {
    const list = commandsFor(orderId, 'inventory.reserve');
    expect(list.length).toBeGreaterThan(0);
    return list;
  });
  const data = reserve.data as { lines: Array<{ line_id: string; product_id: string; size: string | null; quantity: number }> };
  return data.lines.map((l) => ({ ...l, reservation_id: randomUUID() }));
}

describe('item 11: the payment deadline never outlives the reservation', () => {
  it('a stock.reserved processed late (the reservation made 18 minutes ago) gets a deadline of expires_at − margin, not now + window', async () => {
    const { orderId } = await place({ manualInventory: true });
    const lines = await reserveLines(orderId);
    // Inventory reserved 1080 s ago with its 1200 s TTL; the order service only now gets to it.
    const expiresAt = new Date(h.clock.now().getTime() + 120_000);
    await h.publish('inventory.events', 'stock.reserved', { order_id: orderId, lines, expires_at: expiresAt.toISOString() });
    const o = await untilSaga(orderId, 'awaiting_payment');
    expect(o.status).toBe('under_paying');
    expect(o.paymentExpiresAt!.getTime()).toBeLessThanOrEqual(expiresAt.getTime() - MARGIN_SECONDS * 1000);
    expect(o.paymentExpiresAt!.getTime()).toBe(expiresAt.getTime() - MARGIN_SECONDS * 1000);
    expect(o.saga!.deadlineAt!.getTime()).toBe(o.paymentExpiresAt!.getTime());
    const shortened = await h.c.db.sagaStepLog.findMany({ where: { orderId, type: 'payment_window_shortened' } });
    expect(shortened).toHaveLength(1);
    expect(shortened[0].payload).toMatchObject({ reservation_expires_at: expiresAt.toISOString() });

    // Past the shortened deadline (still before the reservation lapses): not payable, and the
    // sweeper cancels and releases while inventory still holds the stock.
    h.clock.offsetMs += 61_000;
    const cancelled = await untilSaga(orderId, 'compensating');
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelReason: 'payment_timeout' });
    expect(h.clock.now().getTime()).toBeLessThan(expiresAt.getTime());
    await eventually(() => expect(commandsFor(orderId, 'inventory.release')).toHaveLength(1));
    h.clock.offsetMs = 0;
  });

  it('a stock.reserved whose reservation is already gone makes an order that can no longer be paid', async () => {
    const { orderId } = await place({ manualInventory: true });
    const lines = await reserveLines(orderId);
    const expiresAt = new Date(h.clock.now().getTime() + 30_000); // inside the margin
    await h.publish('inventory.events', 'stock.reserved', { order_id: orderId, lines, expires_at: expiresAt.toISOString() });
    const o = await untilSaga(orderId, 'compensating');
    expect(o).toMatchObject({ status: 'cancelled', cancelReason: 'payment_timeout' });
  });

  it('an event without expires_at (written before inventory sent it) keeps now + window', async () => {
    const { orderId } = await place({ manualInventory: true });
    const lines = await reserveLines(orderId);
    const before = h.clock.now().getTime();
    await h.publish('inventory.events', 'stock.reserved', { order_id: orderId, lines });
    const o = await untilSaga(orderId, 'awaiting_payment');
    const after = h.clock.now().getTime();
    expect(o.paymentExpiresAt!.getTime()).toBeGreaterThanOrEqual(before + WINDOW_SECONDS * 1000);
    expect(o.paymentExpiresAt!.getTime()).toBeLessThanOrEqual(after + WINDOW_SECONDS * 1000);
    expect(await h.c.db.sagaStepLog.count({ where: { orderId, type: 'payment_window_shortened' } })).toBe(0);
  });

  it('the service refuses a payment window that does not fit inside the reservation lifetime', () => {
    const env = { DATABASE_URL: 'postgresql://x@127.0.0.1/x', JWT_SECRET: 'a'.repeat(40), NODE_ENV: 'test' };
    expect(() => loadConfig({ ...env, PAYMENT_WINDOW_SECONDS: '1200' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, PAYMENT_WINDOW_SECONDS: '900', RESERVATION_TTL_SECONDS: '600' })).toThrow(/RESERVATION_TTL_SECONDS \(600/);
    expect(loadConfig({ ...env, PAYMENT_WINDOW_SECONDS: '1140' }).RESERVATION_EXPIRY_MARGIN_SECONDS).toBe(60);
  });
});

describe('item 14: forced compensation finishes', () => {
  it('compensating a saga stuck confirming restocks the sold units, refunds, and reaches compensated', async () => {
    const startAvailable = inventory.available;
    const { orderId, userId } = await place();
    await untilSaga(orderId, 'awaiting_payment');
    inventory.holdConfirmations = true;
    await h.publish('payment.events', 'payment.succeeded', {
      payment_id: randomUUID(),
      order_id: orderId,
      user_id: userId,
      gateway: 'test_gateway',
      amount: '25.00',
      gateway_fee: '0.75',
      total_amount: '25.75',
    });
    await untilSaga(orderId, 'confirming');
    // Inventory sold the units; its stock.confirmed has not reached the order service yet.
    await eventually(() => expect(inventory.held.get(orderId)?.state).toBe('sold'));

    const admin = { id: randomUUID(), role: 'admin' as const };
    const outcome = await h.c.useCases.actOnSaga.execute(admin, orderId, { action: 'compensate', idempotencyKey: randomUUID(), note: 'stuck confirming' });
    expect(outcome.record).toMatchObject({ state_before: 'confirming', state_after: 'compensating' });

    const [restock] = await eventually(() => {
      const list = commandsFor(orderId, 'inventory.release');
      expect(list).toHaveLength(1);
      return list;
    });
    expect(restock.data).toMatchObject({ order_id: orderId, restock: true });
    const [refund] = await eventually(() => {
      const list = commandsFor(orderId, 'payment.refund');
      expect(list).toHaveLength(1);
      return list;
    });
    await h.publish('payment.events', 'payment.refunded', {
      payment_id: randomUUID(),
      order_id: orderId,
      refund_id: randomUUID(),
      amount: '25.75',
      reason: (refund.data as { reason: string }).reason,
    });

    const done = await untilSaga(orderId, 'compensated');
    expect(done).toMatchObject({ status: 'cancelled', cancelReason: 'stuck confirming' });
    expect(done.saga).toMatchObject({ awaiting: [], stuck: false, nextRetryAt: null });
    // Sold → available exactly once; the late stock.confirmed sent nothing more.
    expect(inventory.held.get(orderId)?.state).toBe('released');
    expect(inventory.available).toBe(startAvailable);
    expect(commandsFor(orderId, 'inventory.release')).toHaveLength(1);
    expect(await h.c.db.sagaStepLog.count({ where: { orderId, kind: 'reply', type: 'stock.confirmed' } })).toBe(1);
    inventory.holdConfirmations = false;
  });
});
