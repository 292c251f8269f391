import { factsOfEvent } from '../../src/app/apply-catalog-event';
import type { Envelope } from '@sudamall/shared';

const envelope = (type: string, data: unknown): Envelope =>
  ({ id: '0b6f3c2e-8a47-4e55-9c1e-2f0d4b7a9e10', type, version: 1, occurred_at: '2026-11-25T07:00:00.000Z', key: 'p1', data }) as Envelope;

describe('factsOfEvent', () => {
  it('reads a price change, stale for items checked live after it happened', () => {
    const out = factsOfEvent(envelope('product.price_changed', { product_id: 'p1', old_price: '10.00', new_price: '12.00' }));
    expect(out).toMatchObject({ productId: 'p1', staleBefore: new Date('2026-11-25T07:00:00.000Z') });
    if (out && out !== 'invalid') expect(out.facts.price?.toFixed(2)).toBe('12.00');
  });

  it('applies a deletion whatever the items saw before', () => {
    expect(factsOfEvent(envelope('product.deleted', { product_id: 'p1' }))).toEqual({
      productId: 'p1',
      facts: { deleted: true },
      staleBefore: null,
    });
  });

  it('reads the sizes of an updated product and the stock of a stock change', () => {
    const updated = factsOfEvent(envelope('product.updated', { product_id: 'p1', product_name: 'Tee', price: '9.99', has_sizes: true, sizes: ['S'] }));
    expect(updated).toMatchObject({ facts: { name: 'Tee', sizes: { hasSizes: true, names: new Set(['S']) } } });
    const stock = factsOfEvent(
      envelope('stock.changed', {
        product_id: 'p1',
        has_sizes: true,
        available_quantity: 2,
        reserved_quantity: 0,
        sold_quantity: 0,
        sizes: [{ size: 'S', available_quantity: 2, reserved_quantity: 0, sold_quantity: 0 }],
      }),
    );
    expect(stock).toMatchObject({ facts: { stock: { hasSizes: true, total: 2, bySize: new Map([['S', 2]]) } } });
  });

  it('takes the price a buyer pays from an updated product: current_price (the sale price), else price', () => {
    const onSale = factsOfEvent(
      envelope('product.updated', {
        product_id: 'p1',
        product_name: 'Tee',
        price: '20.00',
        sale_price: '15.00',
        current_price: '15.00',
        has_sizes: false,
        sizes: [],
      }),
    );
    if (onSale && onSale !== 'invalid') expect(onSale.facts.price?.toFixed(2)).toBe('15.00');
    const older = factsOfEvent(envelope('product.updated', { product_id: 'p1', product_name: 'Tee', price: '20.00', has_sizes: false, sizes: [] }));
    if (older && older !== 'invalid') expect(older.facts.price?.toFixed(2)).toBe('20.00');
  });

  it('ignores types the cart does not follow and flags malformed data', () => {
    expect(factsOfEvent(envelope('stock.reserved', { order_id: 'o1', lines: [] }))).toBeNull();
    expect(factsOfEvent(envelope('product.price_changed', { product_id: 'p1', new_price: 12 }))).toBe('invalid');
  });
});
