// The operator actions as pure decisions: given a saga in some state, what retry, compensate and
// resolve send and leave behind.
import { DomainError } from '@sudamall/shared';
import { compensateDecision, resolveDecision, retryDecision } from '../../src/app/saga-actions';
import { reservationsFromLog, traceUrl, type StepLogView } from '../../src/app/saga-admin';
import { decide, startCheckout } from '../../src/saga/saga-engine';
import type { SagaSnapshot, SagaTimings } from '../../src/saga/saga-types';

const T0 = new Date('2026-11-25T08:00:00.000Z');
const timings = (now = T0): SagaTimings => ({
  now,
  paymentWindowMs: 900_000,
  reservationMarginMs: 60_000,
  retryBaseMs: 1000,
  retryMaxMs: 8000,
  stepTimeoutMs: 60_000,
  maxAttempts: 3,
});
const ORDER = '5b1c1f0e-8a3e-4a53-9f3c-1d2c3b4a5e6f';
const lines = [{ line_id: 'l-1', product_id: 'p-1', size: null, quantity: 2 }];

function reserving(): SagaSnapshot {
  return startCheckout({ order_id: ORDER, user_id: 'buyer-1', lines }, timings()).saga;
}
/** Stuck reserving: re-sent past maxAttempts with no reply. */
function stuckReserving(): SagaSnapshot {
  let s = reserving();
  for (let i = 0; i < 4; i++) s = decide(s, 'pending', { kind: 'retry' }, timings(new Date(T0.getTime() + (i + 1) * 10_000))).saga;
  expect(s.stuck).toBe(true);
  return s;
}
function awaitingPayment(): SagaSnapshot {
  return decide(
    reserving(),
    'pending',
    { kind: 'reply', type: 'stock.reserved', data: { order_id: ORDER, lines: [{ ...lines[0], reservation_id: 'r-1' }] } },
    timings(),
  ).saga;
}
function confirming(): SagaSnapshot {
  const paid = {
    payment_id: 'pay-1',
    order_id: ORDER,
    user_id: 'buyer-1',
    gateway: 'test_gateway',
    amount: '10.00',
    gateway_fee: '0.30',
    total_amount: '10.30',
  };
  return decide(awaitingPayment(), 'under_paying', { kind: 'reply', type: 'payment.succeeded', data: paid }, timings()).saga;
}
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof DomainError ? err.code : String(err);
  }
  return 'no error';
};

describe('retry', () => {
  test('a stuck step re-sends what it waits for as a fresh first attempt: stuck cleared, timeout restarted', () => {
    const later = new Date(T0.getTime() + 300_000);
    const { decision, adminLog } = retryDecision(ORDER, stuckReserving(), timings(later), 'ops-1');
    expect(decision.commands.map((c) => c.type)).toEqual(['inventory.reserve']);
    expect(decision.saga).toMatchObject({ state: 'reserving', attempts: 1, stuck: false, lastError: null, stepStartedAt: later });
    expect(decision.saga.nextRetryAt).toEqual(new Date(later.getTime() + 1000));
    expect(decision.order).toBeUndefined();
    expect(decision.log).toEqual([expect.objectContaining({ kind: 'retry', type: 'inventory.reserve' })]);
    expect(adminLog).toMatchObject({ kind: 'admin', type: 'admin.retry', payload: { by: 'ops-1', resent: ['inventory.reserve'] } });
  });

  test('nothing to re-send while the buyer has to pay; a finished saga is refused', () => {
    expect(code(() => retryDecision(ORDER, awaitingPayment(), timings(), 'ops-1'))).toBe('NOTHING_TO_RETRY');
    expect(code(() => retryDecision(ORDER, { ...confirming(), state: 'done', awaiting: [] }, timings(), 'ops-1'))).toBe('SAGA_FINISHED');
  });
});

describe('compensate', () => {
  test('reserving: the order is cancelled and the reserve undone by a release (the saga`s own cancellation)', () => {
    const { decision } = compensateDecision(ORDER, stuckReserving(), 'pending', 'ops_cancelled', timings(), 'ops-1');
    expect(decision.order).toMatchObject({ to: 'cancelled', reason: 'ops_cancelled' });
    expect(decision.commands.map((c) => c.type)).toEqual(['inventory.release']);
    expect(decision.saga.state).toBe('compensating');
  });

  test('confirming (paid, not cancellable by the buyer): unwound by force, a restock (the confirm may have sold the units) and the refund', () => {
    const { decision } = compensateDecision(ORDER, confirming(), 'under_paying', 'stock_lost', timings(), 'ops-1');
    expect(decision.order).toMatchObject({ to: 'cancelled', reason: 'stock_lost' });
    expect(decision.commands.map((c) => [c.type, c.data])).toEqual([
      ['inventory.release', { order_id: ORDER, reason: 'stock_lost', restock: true }],
      ['payment.refund', { order_id: ORDER, reason: 'stock_lost' }],
    ]);
    expect(decision.saga).toMatchObject({ state: 'compensating', stuck: false, deadlineAt: null });
    expect(decision.saga.awaiting.map((c) => c.type)).toEqual(['inventory.release', 'payment.refund']);
    expect(decision.saga.context.cancel_reason).toBe('stock_lost');
    // A buyer still may not cancel it.
    expect(code(() => decide(confirming(), 'under_paying', { kind: 'cancel', reason: 'buyer' }, timings()))).toBe('ORDER_BEING_CONFIRMED');
  });

  test('confirming, forced: the restock and refund answered, the saga is compensated; a stock.confirmed crossing them changes nothing', () => {
    let saga = compensateDecision(ORDER, confirming(), 'under_paying', 'stock_lost', timings(), 'ops-1').decision.saga;
    const late = decide(saga, 'cancelled', { kind: 'reply', type: 'stock.confirmed', data: { order_id: ORDER } }, timings());
    expect(late.commands).toEqual([]);
    saga = late.saga;
    saga = decide(saga, 'cancelled', { kind: 'reply', type: 'stock.released', data: { order_id: ORDER, reason: 'stock_lost' } }, timings()).saga;
    expect(saga.state).toBe('compensating');
    const refunded = { payment_id: 'pay-1', order_id: ORDER, refund_id: 'rf-1', amount: '10.30', reason: 'stock_lost' };
    saga = decide(saga, 'cancelled', { kind: 'reply', type: 'payment.refunded', data: refunded }, timings()).saga;
    expect(saga).toMatchObject({ state: 'compensated', awaiting: [], nextRetryAt: null });
  });

  test('already compensating: the compensations are re-sent; finished: refused', () => {
    const unwinding = compensateDecision(ORDER, stuckReserving(), 'pending', 'x', timings(), 'ops-1').decision.saga;
    const again = compensateDecision(ORDER, { ...unwinding, stuck: true }, 'cancelled', 'x', timings(), 'ops-1').decision;
    expect(again.commands.map((c) => c.type)).toEqual(['inventory.release']);
    expect(again.order).toBeUndefined();
    expect(again.saga.stuck).toBe(false);
    expect(code(() => compensateDecision(ORDER, { ...unwinding, state: 'compensated', awaiting: [] }, 'cancelled', 'x', timings(), 'ops-1'))).toBe(
      'SAGA_FINISHED',
    );
  });
});

describe('resolve', () => {
  test('stops the re-sends and the stuck flag, keeps the state, records what was dropped; a note is required', () => {
    const { decision, adminLog } = resolveDecision(ORDER, stuckReserving(), 'released by hand in inventory', 'ops-1');
    expect(decision.saga).toMatchObject({ state: 'reserving', awaiting: [], nextRetryAt: null, stuck: false });
    expect(decision.commands).toEqual([]);
    expect(adminLog.payload).toMatchObject({ note: 'released by hand in inventory', dropped: ['inventory.reserve'] });
    expect(code(() => resolveDecision(ORDER, stuckReserving(), '  ', 'ops-1'))).toBe('NOTE_REQUIRED');
  });
});

test('trace links fill the template; no template or no trace id, no link', () => {
  expect(traceUrl('http://jaeger:16686/trace/{trace_id}', 'abc123')).toBe('http://jaeger:16686/trace/abc123');
  expect(traceUrl(undefined, 'abc123')).toBeNull();
  expect(traceUrl('http://x/{trace_id}', null)).toBeNull();
});

test('reservations are read from the saga log: requested lines, then the reserved ones with their ids, then the outcome', () => {
  const step = (kind: string, type: string, payload: unknown): StepLogView => ({ id: '1', step: 's', kind, type, payload, created_at: T0.toISOString() });
  expect(reservationsFromLog([step('command', 'inventory.reserve', { order_id: ORDER, lines })])).toMatchObject({
    outcome: 'requested',
    lines: [{ product_id: 'p-1', reservation_id: null }],
  });
  const log = [
    step('command', 'inventory.reserve', { order_id: ORDER, lines }),
    step('reply', 'stock.reserved', { order_id: ORDER, lines: [{ ...lines[0], reservation_id: 'r-1' }] }),
    step('command', 'inventory.confirm', { order_id: ORDER }),
    step('reply', 'stock.confirmed', { order_id: ORDER }),
  ];
  expect(reservationsFromLog(log)).toMatchObject({ outcome: 'confirmed', lines: [{ product_id: 'p-1', quantity: 2, reservation_id: 'r-1' }] });
  expect(reservationsFromLog([step('reply', 'stock.rejected', { order_id: ORDER, short_lines: [{ line_id: 'l-1' }] })])).toMatchObject({
    outcome: 'rejected',
    short_lines: [{ line_id: 'l-1' }],
  });
});
