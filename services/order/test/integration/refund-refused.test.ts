import { randomUUID } from 'node:crypto';
import { eventually } from '@sudamall/shared/testing';
import { startHarness, type Harness } from '../fixtures/harness';

// A compensation refund the gateway definitely refuses (payment.refund_failed), on real
// PostgreSQL and Kafka; the test plays inventory and payment. The saga must not wait forever
// for a payment.refunded that will never come: it is flagged stuck with the reason (the
// dashboard lists it), keeps the order cancelled, and an operator's retry re-sends payment.refund.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const commandsFor = (orderId: string, type: string) => h.commands.filter((e) => e.key === orderId && e.type === type);
const sagaRow = (orderId: string) => h.c.db.order.findUniqueOrThrow({ where: { id: orderId }, include: { saga: true } });

it('payment.refund_failed makes the compensating saga stuck with the reason; the operator’s retry re-sends payment.refund and its payment.refunded finishes it', async () => {
  const product = h.catalog.add({ price: '12.50' });
  const userId = randomUUID();
  const { orderId } = await h.c.useCases.placeOrder.execute({
    userId,
    idempotencyKey: randomUUID(),
    items: [{ productId: product.id, quantity: 2 }],
    shippingAddress: '1 Main St',
    waitMs: 0,
  });
  const [reserve] = await eventually(() => {
    const list = commandsFor(orderId, 'inventory.reserve');
    expect(list.length).toBeGreaterThan(0);
    return list;
  });
  const { lines } = reserve.data as { lines: Array<{ line_id: string; product_id: string; size: string | null; quantity: number }> };
  await h.publish('inventory.events', 'stock.reserved', { order_id: orderId, lines: lines.map((l) => ({ ...l, reservation_id: randomUUID() })) });
  await eventually(async () => expect((await sagaRow(orderId)).status).toBe('under_paying'));

  // The window passes; the void and the release are answered; then the late capture arrives.
  h.clock.offsetMs = 901_000;
  try {
    await eventually(async () => expect((await sagaRow(orderId)).status).toBe('cancelled'));
  } finally {
    h.clock.offsetMs = 0;
  }
  await h.publish('inventory.events', 'stock.released', { order_id: orderId, reason: 'payment_timeout' });
  await h.publish('payment.events', 'payment.voided', { payment_id: null, order_id: orderId, reason: 'payment_timeout' });
  const paymentId = randomUUID();
  await h.publish('payment.events', 'payment.succeeded', {
    payment_id: paymentId,
    order_id: orderId,
    user_id: userId,
    gateway: 'test_gateway',
    amount: '25.00',
    gateway_fee: '2.63',
    total_amount: '27.63',
  });
  await eventually(() => expect(commandsFor(orderId, 'payment.refund')).toHaveLength(1));

  // The gateway refuses the refund.
  await h.publish('payment.events', 'payment.refund_failed', {
    payment_id: paymentId,
    order_id: orderId,
    refund_id: randomUUID(),
    amount: '27.63',
    reason: 'CHARGE_DISPUTED',
  });
  const stuck = await eventually(async () => {
    const o = await sagaRow(orderId);
    expect(o.saga?.stuck).toBe(true);
    return o;
  });
  expect(stuck.status).toBe('cancelled');
  expect(stuck.saga?.state).toBe('compensating');
  expect(stuck.saga?.lastError).toBe("payment.refund_failed: payment.refund refused (CHARGE_DISPUTED); waiting for an operator's retry");
  // No timed re-send of a refused refund: it waits for the operator.
  expect(stuck.saga?.nextRetryAt).toBeNull();
  const listed = await h.c.useCases.listDashboardSagas.execute({ orderId, stuck: true, page: 1, pageSize: 10 });
  expect(listed.items.map((i) => [i.order_id, i.state, i.last_error])).toEqual([[orderId, 'compensating', stuck.saga?.lastError]]);

  // The operator retries: payment.refund is sent again (payment makes it a new refund attempt).
  const outcome = await h.c.useCases.actOnSaga.execute({ id: 'ops-1', role: 'admin' }, orderId, {
    action: 'retry',
    idempotencyKey: randomUUID(),
    note: 'refund refused, retrying',
  });
  expect(outcome.replayed).toBe(false);
  await eventually(() => expect(commandsFor(orderId, 'payment.refund')).toHaveLength(2));
  expect(commandsFor(orderId, 'payment.refund')[1].data).toEqual({ order_id: orderId, reason: 'payment_timeout' });
  expect(commandsFor(orderId, 'payment.refund')[1].id).not.toBe(commandsFor(orderId, 'payment.refund')[0].id);
  const retried = await sagaRow(orderId);
  expect([retried.saga?.stuck, retried.saga?.lastError]).toEqual([false, null]);

  await h.publish('payment.events', 'payment.refunded', {
    payment_id: paymentId,
    order_id: orderId,
    refund_id: randomUUID(),
    amount: '27.63',
    reason: 'payment_timeout',
  });
  await eventually(async () => expect((await sagaRow(orderId)).saga?.state).toBe('compensated'));
  expect((await sagaRow(orderId)).status).toBe('cancelled');
});
