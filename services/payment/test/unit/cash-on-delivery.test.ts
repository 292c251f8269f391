// The cash-on-delivery rule by hand (collect/) and what a collected payment keeps (domain/cash-collection.ts).
import { cashTransactionId, collectByHand, collectedMetadata, isAwaitingCollection } from '../../src/domain/cash-collection';

describe('cash on delivery collected by hand', () => {
  it('completes only a pending cash-on-delivery payment', () => {
    expect(() => collectByHand({ gateway: 'stripe', status: 'pending', metadata: {} })).toThrow(
      expect.objectContaining({ kind: 'conflict', code: 'NOT_CASH_ON_DELIVERY', details: { gateway: 'stripe' } }),
    );
    expect(() => collectByHand({ gateway: 'cash_on_delivery', status: 'completed', metadata: {} })).toThrow(
      expect.objectContaining({ kind: 'conflict', code: 'PAYMENT_NOT_COLLECTABLE', details: { status: 'completed' } }),
    );
  });

  it('announces payment.succeeded only when it was not announced when the buyer chose cash on delivery', () => {
    expect(collectByHand({ gateway: 'cash_on_delivery', status: 'pending', metadata: { awaiting_collection: true } })).toEqual({ announce: false });
    expect(collectByHand({ gateway: 'cash_on_delivery', status: 'pending', metadata: {} })).toEqual({ announce: true });
  });

  it('records who collected it and when, and no longer awaits collection', () => {
    const at = new Date('2026-12-07T10:00:00Z');
    const metadata = collectedMetadata({ awaiting_collection: true, note: 'kept' }, 'stores', at, { collected_by_event: 'e1' });
    expect(metadata).toEqual({
      awaiting_collection: false,
      note: 'kept',
      collected_by: 'stores',
      collected_at: '2026-12-07T10:00:00.000Z',
      collected_by_event: 'e1',
    });
    expect(isAwaitingCollection(metadata)).toBe(false);
    expect(cashTransactionId('p1')).toBe('cod_p1');
  });
});
