import { beginAdjustment, onAdjustmentReply, onAdjustmentRetry, type AdjustmentSnapshot } from '../../src/saga/adjustment.saga';

const t = { now: new Date('2026-12-07T10:00:00Z'), retryBaseMs: 1000, retryMaxMs: 8000, maxAttempts: 3 };

const adjustment = (over: Partial<AdjustmentSnapshot> = {}): AdjustmentSnapshot => ({
  id: 'adj-1',
  orderId: 'order-1',
  kind: 'cancellation',
  storeId: 'store-b',
  status: 'refunding',
  reason: 'out of stock',
  requestedBy: { id: 'seller-1', role: 'seller' },
  refundAmount: '5.79',
  refundedAmount: null,
  refundId: null,
  lines: [{ line_id: 'line-b', quantity: 1 }],
  restock: true,
  awaiting: [],
  attempts: 0,
  nextRetryAt: null,
  stuck: false,
  lastError: null,
  ...over,
});

describe('the adjustment saga: refund → restock → completed', () => {
  it('given a store part, expect a refund of its amount under the adjustment id, then a restock of its lines, then completion', () => {
    const started = beginAdjustment(adjustment(), t);
    expect(started.commands.map((c) => [c.type, c.data])).toEqual([
      ['payment.refund', { order_id: 'order-1', reason: 'out of stock', refund_key: 'adj-1', amount: '5.79' }],
    ]);
    expect(started.adjustment).toMatchObject({ status: 'refunding', attempts: 1, nextRetryAt: new Date('2026-12-07T10:00:01Z') });

    const refunded = onAdjustmentReply(started.adjustment, 'payment.refunded', { refund_id: 'r-1', amount: '5.79', refund_key: 'adj-1' }, t);
    expect(refunded.adjustment).toMatchObject({ status: 'restocking', refundedAmount: '5.79', refundId: 'r-1' });
    expect(refunded.commands.map((c) => [c.type, c.data])).toEqual([
      ['inventory.restock', { order_id: 'order-1', restock_id: 'adj-1', reason: 'out of stock', lines: [{ line_id: 'line-b', quantity: 1 }] }],
    ]);

    const restocked = onAdjustmentReply(refunded.adjustment, 'stock.restocked', { restock_id: 'adj-1', lines: [] }, t);
    expect(restocked.completed).toBe(true);
    expect(restocked.adjustment).toMatchObject({ status: 'completed', awaiting: [], nextRetryAt: null });
  });

  it('given the whole order, expect a refund of everything left (no amount)', () => {
    const started = beginAdjustment(adjustment({ storeId: null, refundAmount: '28.09' }), t);
    expect(started.commands[0].data).toEqual({ order_id: 'order-1', reason: 'out of stock', refund_key: 'adj-1' });
  });

  it('given a return approved without restocking, expect completion right after the refund', () => {
    const started = beginAdjustment(adjustment({ kind: 'return', restock: false }), t);
    const refunded = onAdjustmentReply(started.adjustment, 'payment.refunded', { refund_id: 'r', amount: '5.79' }, t);
    expect(refunded).toMatchObject({ completed: true, commands: [] });
  });

  it('given a refusal, expect it stuck with the reason and no timed re-send; an operator retry re-sends it', () => {
    const started = beginAdjustment(adjustment(), t);
    const refused = onAdjustmentReply(started.adjustment, 'payment.refund_failed', { reason: 'card_closed' }, t);
    expect(refused.adjustment).toMatchObject({ status: 'refunding', stuck: true, nextRetryAt: null, lastError: expect.stringContaining('card_closed') });
    expect(refused.commands).toEqual([]);
    const retried = onAdjustmentRetry(refused.adjustment, t, true);
    expect(retried.commands.map((c) => c.type)).toEqual(['payment.refund']);
    expect(retried.adjustment).toMatchObject({ stuck: false, attempts: 1, lastError: null });
  });

  it('given no reply, expect re-sends with backoff, flagged stuck past the attempts allowed', () => {
    let a = beginAdjustment(adjustment(), t).adjustment;
    for (let i = 0; i < 3; i++) a = onAdjustmentRetry(a, t).adjustment;
    expect(a).toMatchObject({ attempts: 4, stuck: true, nextRetryAt: new Date('2026-12-07T10:00:08Z') });
  });

  it('given an unrelated or late reply, expect nothing to change', () => {
    const started = beginAdjustment(adjustment(), t);
    expect(onAdjustmentReply(started.adjustment, 'stock.restocked', {}, t)).toMatchObject({ adjustment: started.adjustment, commands: [], completed: false });
    const done = adjustment({ status: 'completed' });
    expect(onAdjustmentReply(done, 'payment.refunded', {}, t)).toMatchObject({ adjustment: done, commands: [], completed: false });
  });
});
