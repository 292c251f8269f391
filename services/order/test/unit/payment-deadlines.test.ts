import { PaymentDeadlines } from '../../src/live/payment-deadlines';

describe('PaymentDeadlines', () => {
  const t0 = new Date('2026-01-01T00:00:00.000Z');
  const at = (ms: number) => new Date(t0.getTime() + ms);

  it('ticks whole seconds rounded up, ends with one 0 and then forgets the order', () => {
    const d = new PaymentDeadlines();
    d.track('u-1', 'o-1', at(2500));
    const watched = new Set(['u-1']);
    expect(d.ticks(t0, watched)).toEqual([{ user_id: 'u-1', order_id: 'o-1', seconds_remaining: 3, expires_at: at(2500).toISOString() }]);
    expect(d.ticks(at(2400), watched)[0].seconds_remaining).toBe(1);
    expect(d.ticks(at(2600), watched)[0].seconds_remaining).toBe(0);
    expect(d.ticks(at(3600), watched)).toEqual([]);
    expect(d.isTracked('u-1', 'o-1')).toBe(false);
  });

  it('forgets users nobody watches any more and can tick one user only', () => {
    const d = new PaymentDeadlines();
    d.track('u-1', 'o-1', at(60000));
    d.track('u-2', 'o-2', at(60000));
    expect(d.ticks(t0, new Set(['u-1', 'u-2']), 'u-2').map((t) => t.order_id)).toEqual(['o-2']);
    expect(d.ticks(t0, new Set(['u-1'])).map((t) => t.order_id)).toEqual(['o-1']);
    expect(d.isTracked('u-2', 'o-2')).toBe(false);
    d.untrack('u-1', 'o-1');
    expect(d.ticks(t0, new Set(['u-1']))).toEqual([]);
  });
});
