import { randomUUID } from 'node:crypto';
import { createEnvelope, DomainError, type MessageType, type MessageTypes } from '@sudamall/shared';
import { SagaCoordinator, type SagaSettings } from '../../src/app/saga-coordinator';
import { startCheckout } from '../../src/saga/saga-engine';
import type { SagaState } from '../../src/saga/saga-types';
import type { OrderStatus } from '../../src/domain/order-status';
import { FakeCheckoutStore, ManualClock } from '../fixtures/fake-checkout-store';

// Written as: given a saga in some state / when a reply (or timer, or cancel) arrives /
// expect the commands sent and the order's and saga's outcome.

const SETTINGS: SagaSettings = {
  paymentWindowMs: 900_000,
  reservationMarginMs: 60_000,
  retryBaseMs: 1000,
  retryMaxMs: 8000,
  stepTimeoutMs: 60_000,
  maxAttempts: 5,
};
const CONSUMER = 'order-saga';

function setup() {
  const store = new FakeCheckoutStore();
  const clock = new ManualClock();
  const saga = new SagaCoordinator(store, clock, SETTINGS);
  return { store, clock, saga };
}

type Ctx = ReturnType<typeof setup>;
const lines = [{ line_id: 'line-1', product_id: 'p-1', size: 'M', quantity: 2 }];

/** given: an order placed and its saga started (reserve sent), outbox drained */
function givenPlaced(ctx: Ctx): string {
  const orderId = randomUUID();
  const decision = startCheckout({ order_id: orderId, user_id: 'buyer-1', lines }, saga(ctx).timings());
  ctx.store.addOrder({ id: orderId }, decision.saga);
  return orderId;
}
const saga = (ctx: Ctx) => ctx.saga;

async function reply<T extends MessageType>(ctx: Ctx, type: T, data: MessageTypes[T], id = randomUUID()) {
  return ctx.saga.handleReply(CONSUMER, createEnvelope(type, (data as { order_id: string }).order_id, data, { id }));
}

function expectOutcome(ctx: Ctx, orderId: string, order: OrderStatus, sagaState: SagaState) {
  expect(ctx.store.orders.get(orderId)!.status).toBe(order);
  expect(ctx.store.sagas.get(orderId)!.state).toBe(sagaState);
}

async function givenUnderPaying(ctx: Ctx): Promise<string> {
  const orderId = givenPlaced(ctx);
  await reply(ctx, 'stock.reserved', { order_id: orderId, lines: [{ ...lines[0], reservation_id: 'r-1' }] });
  ctx.store.takeOutbox();
  return orderId;
}

async function givenConfirming(ctx: Ctx): Promise<string> {
  const orderId = await givenUnderPaying(ctx);
  await reply(ctx, 'payment.succeeded', paymentSucceeded(orderId));
  ctx.store.takeOutbox();
  return orderId;
}

function paymentSucceeded(orderId: string): MessageTypes['payment.succeeded'] {
  return { payment_id: 'pay-1', order_id: orderId, user_id: 'buyer-1', gateway: 'test_gateway', amount: '10.00', gateway_fee: '0.30', total_amount: '10.30' };
}

describe('checkout saga', () => {
  it('starts by sending inventory.reserve with the order lines', () => {
    const ctx = setup();
    const decision = startCheckout({ order_id: 'o-1', user_id: 'buyer-1', lines }, ctx.saga.timings());
    expect(decision.commands.map((c) => [c.topic, c.type, c.data])).toEqual([['inventory.commands', 'inventory.reserve', { order_id: 'o-1', lines }]]);
    expect(decision.saga.state).toBe('reserving');
    expect(decision.saga.nextRetryAt).toEqual(new Date(ctx.clock.now().getTime() + 1000));
  });

  it('stock.reserved → order under_paying with a deadline one payment window away, saga awaiting_payment', async () => {
    const ctx = setup();
    const orderId = givenPlaced(ctx);
    await reply(ctx, 'stock.reserved', { order_id: orderId, lines: [{ ...lines[0], reservation_id: 'r-1' }] });
    expectOutcome(ctx, orderId, 'under_paying', 'awaiting_payment');
    const deadline = new Date(ctx.clock.now().getTime() + SETTINGS.paymentWindowMs);
    expect(ctx.store.orders.get(orderId)!.paymentExpiresAt).toEqual(deadline);
    expect(ctx.store.sagas.get(orderId)!.deadlineAt).toEqual(deadline);
    expect(ctx.store.commandTypes()).toEqual([]);
    const events = ctx.store.outbox.map((m) => m.envelope);
    expect(events.map((e) => e.type)).toEqual(['order.status_changed']);
    expect(events[0].data).toMatchObject({ from: 'pending', to: 'under_paying', payment_expires_at: deadline.toISOString() });
  });

  it('stock.rejected → order cancelled (insufficient_stock) with the short lines, nothing to undo', async () => {
    const ctx = setup();
    const orderId = givenPlaced(ctx);
    const short = [{ line_id: 'line-1', product_id: 'p-1', size: 'M', requested: 2, available: 1, code: 'INSUFFICIENT_STOCK' }];
    await reply(ctx, 'stock.rejected', { order_id: orderId, code: 'INSUFFICIENT_STOCK', short_lines: short });
    expectOutcome(ctx, orderId, 'cancelled', 'compensated');
    expect(ctx.store.orders.get(orderId)!.cancelReason).toBe('insufficient_stock');
    expect(ctx.store.orders.get(orderId)!.shortLines).toEqual(short);
    expect(ctx.store.commandTypes()).toEqual([]);
    expect(ctx.store.outbox.map((m) => m.envelope.type)).toEqual(['order.status_changed', 'order.cancelled']);
  });

  it('payment.succeeded → inventory.confirm, then stock.confirmed → order processing, saga done', async () => {
    const ctx = setup();
    const orderId = await givenUnderPaying(ctx);
    await reply(ctx, 'payment.succeeded', paymentSucceeded(orderId));
    expect(ctx.store.commandTypes()).toEqual(['inventory.confirm']);
    expectOutcome(ctx, orderId, 'under_paying', 'confirming');
    expect(ctx.store.sagas.get(orderId)!.context.payment_id).toBe('pay-1');
    ctx.store.takeOutbox();
    await reply(ctx, 'stock.confirmed', { order_id: orderId });
    expectOutcome(ctx, orderId, 'processing', 'done');
    expect(ctx.store.sagas.get(orderId)!.awaiting).toEqual([]);
    expect(ctx.store.sagas.get(orderId)!.nextRetryAt).toBeNull();
  });

  it('a payment consumed before the reservation (two topics, no order between them) is applied once the saga gets there', async () => {
    const ctx = setup();
    const orderId = givenPlaced(ctx);
    await reply(ctx, 'payment.succeeded', paymentSucceeded(orderId));
    expectOutcome(ctx, orderId, 'pending', 'reserving');
    expect(ctx.store.commandTypes()).toEqual([]);
    await reply(ctx, 'stock.reserved', { order_id: orderId, lines: [{ ...lines[0], reservation_id: 'r-1' }] });
    expectOutcome(ctx, orderId, 'under_paying', 'confirming');
    expect(ctx.store.commandTypes()).toEqual(['inventory.confirm']);
    expect(ctx.store.sagas.get(orderId)!.context).toMatchObject({ payment_id: 'pay-1', completed: ['reserve_stock', 'await_payment'] });
    expect(ctx.store.sagas.get(orderId)!.context.early).toBeUndefined();
  });

  it('an early payment on an order whose reservation is then rejected is refunded', async () => {
    const ctx = setup();
    const orderId = givenPlaced(ctx);
    await reply(ctx, 'payment.succeeded', paymentSucceeded(orderId));
    await reply(ctx, 'stock.rejected', { order_id: orderId, code: 'INSUFFICIENT_STOCK', short_lines: [] });
    expectOutcome(ctx, orderId, 'cancelled', 'compensating');
    expect(ctx.store.commandTypes()).toEqual(['payment.refund']);
  });

  it('payment.failed leaves the window open and is logged', async () => {
    const ctx = setup();
    const orderId = await givenUnderPaying(ctx);
    await reply(ctx, 'payment.failed', { payment_id: 'pay-1', order_id: orderId, attempt_number: 1, reason: 'card_declined' });
    expectOutcome(ctx, orderId, 'under_paying', 'awaiting_payment');
    expect(ctx.store.outbox).toEqual([]);
    expect(ctx.store.stepLog.at(-1)).toMatchObject({ kind: 'reply', type: 'payment.failed' });
  });

  it('payment deadline → inventory.release + payment.void, order cancelled (payment_timeout); their replies complete the compensation', async () => {
    const ctx = setup();
    const orderId = await givenUnderPaying(ctx);
    ctx.clock.advance(SETTINGS.paymentWindowMs + 1);
    await ctx.saga.run(orderId, { kind: 'payment_deadline' });
    expect(ctx.store.commandTypes().sort()).toEqual(['inventory.release', 'payment.void']);
    expectOutcome(ctx, orderId, 'cancelled', 'compensating');
    expect(ctx.store.orders.get(orderId)!.cancelReason).toBe('payment_timeout');
    // Only the release is awaited: payment answers a void only when it cancelled something.
    expect(ctx.store.sagas.get(orderId)!.awaiting.map((c) => c.type)).toEqual(['inventory.release']);
    await reply(ctx, 'stock.released', { order_id: orderId, reason: 'payment_timeout' });
    expectOutcome(ctx, orderId, 'cancelled', 'compensated');
    await reply(ctx, 'payment.voided', { payment_id: null, order_id: orderId, reason: 'payment_timeout' });
    expectOutcome(ctx, orderId, 'cancelled', 'compensated');
  });

  it('cancel while reserving, then the reserve is rejected: the rejection answers the release (inventory has nothing to release)', async () => {
    const ctx = setup();
    const orderId = givenPlaced(ctx);
    await ctx.saga.run(orderId, { kind: 'cancel', reason: 'buyer_cancelled' });
    expectOutcome(ctx, orderId, 'cancelled', 'compensating');
    await reply(ctx, 'stock.rejected', { order_id: orderId, code: 'INSUFFICIENT_STOCK', short_lines: [] });
    expectOutcome(ctx, orderId, 'cancelled', 'compensated');
  });

  it('payment.succeeded after expiry → payment.refund (compensation), order stays cancelled', async () => {
    const ctx = setup();
    const orderId = await givenUnderPaying(ctx);
    await ctx.saga.run(orderId, { kind: 'payment_deadline' });
    await reply(ctx, 'stock.released', { order_id: orderId, reason: 'payment_timeout' });
    await reply(ctx, 'payment.voided', { payment_id: null, order_id: orderId, reason: 'payment_timeout' });
    ctx.store.takeOutbox();
    await reply(ctx, 'payment.succeeded', paymentSucceeded(orderId));
    expect(ctx.store.outbox.map((m) => [m.envelope.type, m.envelope.data])).toEqual([['payment.refund', { order_id: orderId, reason: 'payment_timeout' }]]);
    expectOutcome(ctx, orderId, 'cancelled', 'compensating');
    await reply(ctx, 'payment.refunded', { payment_id: 'pay-1', order_id: orderId, refund_id: 'rf-1', amount: '10.30', reason: 'payment_timeout' });
    expectOutcome(ctx, orderId, 'cancelled', 'compensated');
  });

  it('payment.refund_failed on the compensation refund → saga stuck with the reason, no timed re-send, order kept; a retry re-sends payment.refund', async () => {
    const ctx = setup();
    const orderId = await givenUnderPaying(ctx);
    await ctx.saga.run(orderId, { kind: 'payment_deadline' });
    await reply(ctx, 'stock.released', { order_id: orderId, reason: 'payment_timeout' });
    await reply(ctx, 'payment.voided', { payment_id: null, order_id: orderId, reason: 'payment_timeout' });
    await reply(ctx, 'payment.succeeded', paymentSucceeded(orderId));
    ctx.store.takeOutbox();
    await reply(ctx, 'payment.refund_failed', { payment_id: 'pay-1', order_id: orderId, refund_id: 'rf-1', amount: '10.30', reason: 'CHARGE_DISPUTED' });
    const s = ctx.store.sagas.get(orderId)!;
    expect([s.state, s.stuck, s.nextRetryAt, s.lastError]).toEqual([
      'compensating',
      true,
      null,
      "payment.refund_failed: payment.refund refused (CHARGE_DISPUTED); waiting for an operator's retry",
    ]);
    expect(s.awaiting.map((c) => c.type)).toEqual(['payment.refund']);
    expect(ctx.store.outbox).toEqual([]);
    expectOutcome(ctx, orderId, 'cancelled', 'compensating');
    // The automatic re-send is the operator's: a retry input still re-sends what is awaited.
    await ctx.saga.run(orderId, { kind: 'retry' });
    expect(ctx.store.commandTypes()).toEqual(['payment.refund']);
    await reply(ctx, 'payment.refunded', { payment_id: 'pay-1', order_id: orderId, refund_id: 'rf-2', amount: '10.30', reason: 'payment_timeout' });
    expectOutcome(ctx, orderId, 'cancelled', 'compensated');
  });

  it('confirm fails (reservation gone) → refund then release, order cancelled', async () => {
    const ctx = setup();
    const orderId = await givenConfirming(ctx);
    await reply(ctx, 'stock.rejected', { order_id: orderId, code: 'RESERVATION_RELEASED', short_lines: [] });
    expect(ctx.store.commandTypes()).toEqual(['payment.refund', 'inventory.release']);
    expectOutcome(ctx, orderId, 'cancelled', 'compensating');
    expect(ctx.store.orders.get(orderId)!.cancelReason).toBe('stock_confirmation_failed');
  });

  it('buyer cancel while under_paying → release + void; refused while confirming and once processing', async () => {
    const ctx = setup();
    const orderId = await givenUnderPaying(ctx);
    await ctx.saga.run(orderId, { kind: 'cancel', reason: 'buyer_cancelled' }, { id: 'buyer-1', role: 'buyer' });
    expect(ctx.store.commandTypes().sort()).toEqual(['inventory.release', 'payment.void']);
    expect(ctx.store.orders.get(orderId)!.history.at(-1)).toMatchObject({ to: 'cancelled', by: { id: 'buyer-1' } });

    const confirming = await givenConfirming(ctx);
    await expect(ctx.saga.run(confirming, { kind: 'cancel', reason: 'x' })).rejects.toMatchObject({ code: 'ORDER_BEING_CONFIRMED' });
    await reply(ctx, 'stock.confirmed', { order_id: confirming });
    const err = await ctx.saga.run(confirming, { kind: 'cancel', reason: 'x' }).catch((e: DomainError) => e);
    expect((err as DomainError).code).toBe('INVALID_STATUS_TRANSITION');
  });

  it('cancel while reserving → inventory.release (queued behind the reserve); a late stock.reserved is released again', async () => {
    const ctx = setup();
    const orderId = givenPlaced(ctx);
    await ctx.saga.run(orderId, { kind: 'cancel', reason: 'buyer_cancelled' });
    expect(ctx.store.commandTypes()).toEqual(['inventory.release']);
    expectOutcome(ctx, orderId, 'cancelled', 'compensating');
    await reply(ctx, 'stock.released', { order_id: orderId, reason: 'buyer_cancelled' });
    expectOutcome(ctx, orderId, 'cancelled', 'compensated');
    ctx.store.takeOutbox();
    await reply(ctx, 'stock.reserved', { order_id: orderId, lines: [{ ...lines[0], reservation_id: 'r-1' }] });
    expect(ctx.store.commandTypes()).toEqual(['inventory.release']);
  });

  it('a redelivered event (same id) changes nothing', async () => {
    const ctx = setup();
    const orderId = await givenUnderPaying(ctx);
    const id = randomUUID();
    expect(await reply(ctx, 'payment.succeeded', paymentSucceeded(orderId), id)).toBe('applied');
    ctx.store.takeOutbox();
    const before = structuredClone(ctx.store.sagas.get(orderId));
    expect(await reply(ctx, 'payment.succeeded', paymentSucceeded(orderId), id)).toBe('duplicate');
    expect(ctx.store.outbox).toEqual([]);
    expect(ctx.store.sagas.get(orderId)).toEqual(before);
  });

  it('the same reply under a new id (participant re-sent it) changes nothing', async () => {
    const ctx = setup();
    const orderId = await givenUnderPaying(ctx);
    await reply(ctx, 'stock.reserved', { order_id: orderId, lines: [{ ...lines[0], reservation_id: 'r-1' }] });
    expectOutcome(ctx, orderId, 'under_paying', 'awaiting_payment');
    expect(ctx.store.outbox).toEqual([]);
  });

  it('retry re-sends the unanswered command with growing backoff and flags the saga stuck after too many attempts', async () => {
    const ctx = setup();
    const orderId = givenPlaced(ctx);
    const delays: number[] = [];
    for (let i = 0; i < SETTINGS.maxAttempts; i++) {
      const s = ctx.store.sagas.get(orderId)!;
      ctx.clock.current = s.nextRetryAt!;
      await ctx.saga.run(orderId, { kind: 'retry' });
      const next = ctx.store.sagas.get(orderId)!;
      delays.push(next.nextRetryAt!.getTime() - ctx.clock.now().getTime());
    }
    expect(delays).toEqual([2000, 4000, 8000, 8000, 8000]);
    expect(ctx.store.commandTypes()).toEqual(Array(SETTINGS.maxAttempts).fill('inventory.reserve'));
    const s = ctx.store.sagas.get(orderId)!;
    expect(s.stuck).toBe(true);
    expect(s.lastError).toMatch(/no reply to inventory.reserve/);
    expect(ctx.store.stepLog.filter((e) => e.kind === 'retry')).toHaveLength(SETTINGS.maxAttempts);
    // progress clears the flag
    await reply(ctx, 'stock.reserved', { order_id: orderId, lines: [{ ...lines[0], reservation_id: 'r-1' }] });
    expect(ctx.store.sagas.get(orderId)!.stuck).toBe(false);
  });

  it('a failing step leaves nothing half-written', async () => {
    const ctx = setup();
    const orderId = await givenConfirming(ctx);
    const before = structuredClone(ctx.store.sagas.get(orderId));
    await expect(ctx.saga.run(orderId, { kind: 'cancel', reason: 'x' })).rejects.toBeInstanceOf(DomainError);
    expect(ctx.store.sagas.get(orderId)).toEqual(before);
    expect(ctx.store.outbox).toEqual([]);
  });
});
