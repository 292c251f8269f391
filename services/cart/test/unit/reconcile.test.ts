import { money } from '@sudamall/shared';
import type { CatalogProduct } from '../../src/domain/catalog';
import { describeChange, factsFromProduct, reconcileItem, type ItemState } from '../../src/domain/reconcile';

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
