// Pure catalogue rules of issue 14, no servers: the price a buyer pays, sale prices, images,
// who sees sold quantities, and what renaming or removing a size may do.
import { DomainError, money } from '@sudamall/shared';
import {
  IMAGE_URL_PATTERN,
  MAX_IMAGES,
  assertNoReservations,
  canSeeSales,
  currentPrice,
  parsePriceBound,
  parseSalePrice,
  renamedSize,
  sizeRemoval,
  sizeToChange,
  validateImages,
  type SizeRow,
} from '../../src/domain/product';

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof DomainError) return `${e.kind}:${e.code}`;
    throw e;
  }
  return 'no error';
};

describe('currentPrice', () => {
  it('is the sale price while one is set, else the price', () => {
    expect(currentPrice(money('20.00'), money('15.50')).toFixed(2)).toBe('15.50');
    expect(currentPrice(money('20.00'), null).toFixed(2)).toBe('20.00');
  });
});

describe('parseSalePrice', () => {
  const price = money('20.00');
  it('takes an amount below the price, as a string or a number; null removes it', () => {
    expect(parseSalePrice('19.99', price)?.toFixed(2)).toBe('19.99');
    expect(parseSalePrice(5, price)?.toFixed(2)).toBe('5.00');
    expect(parseSalePrice(null, price)).toBeNull();
  });
  it('refuses a sale price equal to or above the price (422), and a malformed or zero amount (400)', () => {
    expect(codeOf(() => parseSalePrice('20.00', price))).toBe('unprocessable:SALE_PRICE_NOT_BELOW_PRICE');
    expect(codeOf(() => parseSalePrice('25', price))).toBe('unprocessable:SALE_PRICE_NOT_BELOW_PRICE');
    expect(codeOf(() => parseSalePrice('0', price))).toBe('invalid:INVALID_SALE_PRICE');
    expect(codeOf(() => parseSalePrice('1.999', price))).toBe('invalid:INVALID_SALE_PRICE');
    expect(codeOf(() => parseSalePrice('abc', price))).toBe('invalid:INVALID_SALE_PRICE');
  });
});

describe('parsePriceBound', () => {
  it('accepts zero (a lower bound), refuses what is not an amount', () => {
    expect(parsePriceBound('0', 'min_price').toFixed(2)).toBe('0.00');
    expect(parsePriceBound('10.5', 'max_price').toFixed(2)).toBe('10.50');
    expect(codeOf(() => parsePriceBound('-1', 'min_price'))).toBe('invalid:INVALID_PRICE');
  });
});

describe('validateImages', () => {
  it('keeps http(s) URLs in their order', () => {
    const urls = ['https://cdn.example.com/a.jpg', 'http://img.example.org:8080/b.png?w=200#x', 'HTTPS://EXAMPLE.COM/c'];
    expect(validateImages(urls)).toEqual(urls);
    expect(validateImages([])).toEqual([]);
  });
  it('refuses other schemes, relative or spaced URLs, duplicates, and more than the maximum', () => {
    for (const bad of ['ftp://example.com/a.jpg', 'javascript:alert(1)', '/images/a.jpg', 'https://exa mple.com/a', 'https://', 'https://example.com/a b']) {
      expect(codeOf(() => validateImages([bad]))).toBe('invalid:INVALID_IMAGE_URL');
    }
    expect(codeOf(() => validateImages(['https://a.example/x', 'https://a.example/x']))).toBe('invalid:DUPLICATE_IMAGE');
    const many = Array.from({ length: MAX_IMAGES + 1 }, (_, i) => `https://a.example/${i}.jpg`);
    expect(codeOf(() => validateImages(many))).toBe('invalid:TOO_MANY_IMAGES');
  });
  it('is the same rule as the REST schema (one pattern)', () => {
    expect(new RegExp(IMAGE_URL_PATTERN).test('https://cdn.example.com/a.jpg')).toBe(true);
  });
});

describe('canSeeSales', () => {
  const product = { storeId: 'store-a' };
  it("the store's own sellers and admins; not buyers, other stores or anonymous readers", () => {
    expect(canSeeSales({ id: 'u', role: 'admin' }, product)).toBe(true);
    expect(canSeeSales({ id: 'u', role: 'seller', storeId: 'store-a' }, product)).toBe(true);
    expect(canSeeSales({ id: 'u', role: 'seller', storeId: 'store-b' }, product)).toBe(false);
    expect(canSeeSales({ id: 'u', role: 'buyer' }, product)).toBe(false);
    expect(canSeeSales(null, product)).toBe(false);
  });
});

describe('sizes: rename and removal', () => {
  const row = (id: string, size: string, available = 3, reserved = 0, removed = false): SizeRow => ({
    id,
    size,
    available,
    reserved,
    removedAt: removed ? new Date() : null,
  });
  const rows = [row('s', 'S'), row('m', 'M', 2, 1), row('xl', 'XL', 0, 0, true)];

  it('names a live size of a product with sizes; removed ones and products without sizes have none', () => {
    expect(sizeToChange(true, rows, 's').size).toBe('S');
    expect(codeOf(() => sizeToChange(true, rows, 'xl'))).toBe('not_found:SIZE_NOT_FOUND');
    expect(codeOf(() => sizeToChange(true, rows, 'nope'))).toBe('not_found:SIZE_NOT_FOUND');
    expect(codeOf(() => sizeToChange(false, [row('x', '')], 'x'))).toBe('not_found:SIZE_NOT_FOUND');
  });

  it('refuses both while units are reserved (409 SIZE_HAS_RESERVATIONS)', () => {
    expect(codeOf(() => assertNoReservations(rows[1]))).toBe('conflict:SIZE_HAS_RESERVATIONS');
    expect(codeOf(() => sizeRemoval(rows[1]))).toBe('conflict:SIZE_HAS_RESERVATIONS');
  });

  it('a removal takes the available units out as a negative adjustment (stock stays accounted for)', () => {
    expect(sizeRemoval(rows[0])).toEqual({ delta: -3 });
    expect(sizeRemoval(row('e', 'E', 0))).toEqual({ delta: 0 });
  });

  it('a new name is trimmed, not empty, and unique in the product, removed sizes included', () => {
    expect(renamedSize(rows, rows[0], ' Small ')).toBe('Small');
    expect(renamedSize(rows, rows[0], 'S')).toBe('S');
    expect(codeOf(() => renamedSize(rows, rows[0], '  '))).toBe('invalid:INVALID_SIZE');
    expect(codeOf(() => renamedSize(rows, rows[0], 'M'))).toBe('conflict:SIZE_EXISTS');
    expect(codeOf(() => renamedSize(rows, rows[0], 'XL'))).toBe('conflict:SIZE_EXISTS');
  });
});
