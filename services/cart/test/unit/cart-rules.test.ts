import { money } from '@sudamall/shared';
import { assertLineFits, assertValidQuantity, availableForLine } from '../../src/domain/cart-rules';
import type { CatalogProduct } from '../../src/domain/catalog';

const plain: CatalogProduct = { id: 'p1', name: 'Laptop', price: money('999.99'), hasSizes: false, deleted: false, available: 5, sizes: new Map() };
const sized: CatalogProduct = {
  id: 'p2',
  name: 'T-shirt',
  price: money('19.99'),
  hasSizes: true,
  deleted: false,
  available: 7,
  sizes: new Map([
    ['M', 4],
    ['L', 3],
  ]),
};

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
};

describe('availableForLine', () => {
  it('answers the stock of a product without sizes, or of the chosen size', () => {
    expect(availableForLine('p1', plain, '')).toBe(5);
    expect(availableForLine('p2', sized, 'L')).toBe(3);
  });

  it('refuses an unknown product with PRODUCT_NOT_FOUND and a deleted one with PRODUCT_UNAVAILABLE', () => {
    expect(codeOf(() => availableForLine('nope', undefined, ''))).toBe('PRODUCT_NOT_FOUND');
    expect(codeOf(() => availableForLine('p1', { ...plain, deleted: true }, ''))).toBe('PRODUCT_UNAVAILABLE');
  });

  it('needs a size that exists for sized products and refuses one for the others', () => {
    expect(codeOf(() => availableForLine('p2', sized, ''))).toBe('SIZE_REQUIRED');
    expect(codeOf(() => availableForLine('p2', sized, 'XXL'))).toBe('SIZE_NOT_FOUND');
    expect(codeOf(() => availableForLine('p1', plain, 'M'))).toBe('SIZE_NOT_ALLOWED');
  });
});

describe('assertLineFits', () => {
  it('accepts a total up to the available stock', () => {
    expect(assertLineFits('p2', sized, 'M', 4)).toBe(4);
  });

  it('refuses a total above it with INSUFFICIENT_STOCK, counting what the cart already holds', () => {
    try {
      assertLineFits('p2', sized, 'M', 5, 3);
      throw new Error('expected a refusal');
    } catch (e) {
      const err = e as { code: string; kind: string; details: Record<string, unknown> };
      expect(err.code).toBe('INSUFFICIENT_STOCK');
      expect(err.kind).toBe('conflict');
      expect(err.details).toEqual({ product_id: 'p2', size: 'M', requested: 2, available: 4, in_cart: 3 });
    }
  });
});

describe('assertValidQuantity', () => {
  it.each([0, -1, 1.5, Number.NaN, '2', 1_000_001])('refuses %p', (q) => {
    expect(codeOf(() => assertValidQuantity(q))).toBe('INVALID_QUANTITY');
  });

  it('accepts positive integers, and 0 only where it means "remove"', () => {
    expect(codeOf(() => assertValidQuantity(3))).toBeUndefined();
    expect(codeOf(() => assertValidQuantity(0, { allowZero: true }))).toBeUndefined();
  });
});
