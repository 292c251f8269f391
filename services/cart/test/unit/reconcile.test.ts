import { money } from '@sudamall/shared';
import type { CatalogProduct } from '../../src/domain/catalog';
import { describeChange, factsFromProduct, reconcileItem, stockCaps, type ItemState, type ProductFacts } from '../../src/domain/reconcile';

const item = (over: Partial<ItemState> = {}): ItemState => ({
  id: 'i1',
  productId: 'p1',
  productName: 'T-shirt',
  size: 'M',
  quantity: 3,
  currentPrice: money('10.00'),
  ...over,
});

describe('reconcileItem', () => {
  it('keeps an item nothing new is known about', () => {
    expect(reconcileItem(item(), { price: money('10.00') })).toEqual({ action: 'keep', changes: [] });
  });

  it('takes a new price and records the old and new values', () => {
    const out = reconcileItem(item(), { price: money('12.5') });
    expect(out.action).toBe('update');
    if (out.action !== 'update') return;
    expect(out.currentPrice.toFixed(2)).toBe('12.50');
    expect(out.changes).toEqual([expect.objectContaining({ kind: 'price_changed', reason: 'price_changed', oldValue: '10.00', newValue: '12.50' })]);
  });

  it('removes the items of a deleted or vanished product', () => {
    expect(reconcileItem(item(), { deleted: true })).toEqual({
      action: 'remove',
      changes: [expect.objectContaining({ kind: 'removed', reason: 'product_deleted', oldValue: '3', newValue: '0' })],
    });
    expect(reconcileItem(item(), { missing: true }).changes[0]).toMatchObject({ reason: 'product_not_found' });
  });

  it('removes an item whose size is gone, as size_removed', () => {
    const out = reconcileItem(item(), { sizes: { hasSizes: true, names: new Set(['S', 'L']) } });
    expect(out).toEqual({ action: 'remove', changes: [expect.objectContaining({ kind: 'size_removed', reason: 'size_removed' })] });
  });

  it('lowers the quantity to the stock, and removes the item when none is left', () => {
    const low = reconcileItem(item(), { stock: { hasSizes: true, total: 2, bySize: new Map([['M', 2]]) } });
    expect(low).toMatchObject({ action: 'update', quantity: 2 });
    expect(low.changes[0]).toMatchObject({ kind: 'quantity_reduced', oldValue: '3', newValue: '2' });

    const none = reconcileItem(item({ size: '' }), { stock: { hasSizes: false, total: 0, bySize: new Map() } });
    expect(none).toEqual({ action: 'remove', changes: [expect.objectContaining({ kind: 'removed', reason: 'out_of_stock' })] });
  });

  it('leaves enough stock alone', () => {
    expect(reconcileItem(item({ size: '' }), { stock: { hasSizes: false, total: 3, bySize: new Map() } }).action).toBe('keep');
  });

  it('reports a price change and a stock cut found by one live lookup together', () => {
    const product: CatalogProduct = {
      id: 'p1',
      name: 'T-shirt',
      price: money('9.00'),
      hasSizes: true,
      deleted: false,
      available: 1,
      sizes: new Map([['M', 1]]),
    };
    const out = reconcileItem(item(), factsFromProduct(product));
    expect(out).toMatchObject({ action: 'update', quantity: 1 });
    expect(out.changes.map((c) => c.kind)).toEqual(['price_changed', 'quantity_reduced']);
  });

  it('explains each change in a sentence for the buyer', () => {
    expect(describeChange({ reason: 'price_changed', productName: 'T-shirt', size: 'M', oldValue: '10.00', newValue: '12.00' })).toBe(
      'The price of T-shirt (size M) changed from 10.00 to 12.00.',
    );
  });
});

describe('stockCaps', () => {
  // What the catalogue sync's statement selects with the caps (LOCK_PRODUCT_ITEMS_BEYOND_CAPS).
  const beyondCaps = (i: ItemState, caps: { sizes: string[]; available: number[] }) => {
    const at = caps.sizes.indexOf(i.size);
    return i.quantity > (at < 0 ? 0 : caps.available[at]);
  };

  it('selects exactly the lines reconcileItem would change under facts that tell only the stock', () => {
    const stocks: Array<NonNullable<ProductFacts['stock']>> = [];
    for (const total of [-1, 0, 1, 2, 5]) stocks.push({ hasSizes: false, total, bySize: new Map() });
    for (const m of [0, 1, 2, 5]) {
      for (const l of [0, 3])
        stocks.push({
          hasSizes: true,
          total: m + l,
          bySize: new Map([
            ['M', m],
            ['L', l],
          ]),
        });
    }
    stocks.push({ hasSizes: true, total: 2, bySize: new Map([['', 2]]) }); // a size-less entry in a sized product
    let compared = 0;
    for (const stock of stocks) {
      const caps = stockCaps({ stock });
      expect(caps).toBeDefined();
      for (const size of ['', 'M', 'L', 'XL']) {
        for (const quantity of [1, 2, 3, 6]) {
          const line = item({ size, quantity });
          expect([stock, size, quantity, beyondCaps(line, caps!)]).toEqual([stock, size, quantity, reconcileItem(line, { stock }).action !== 'keep']);
          compared++;
        }
      }
    }
    expect(compared).toBe(16 * 14);
  });

  it('gives no caps when the facts tell more than the stock: any line may change', () => {
    const stock = { hasSizes: false, total: 5, bySize: new Map<string, number>() };
    expect(stockCaps({ stock, price: money('1.00') })).toBeUndefined();
    expect(stockCaps({ stock, name: 'Renamed' })).toBeUndefined();
    expect(stockCaps({ stock, sizes: { hasSizes: false, names: new Set() } })).toBeUndefined();
    expect(stockCaps({ price: money('1.00') })).toBeUndefined();
    expect(stockCaps({ deleted: true })).toBeUndefined();
  });
});
