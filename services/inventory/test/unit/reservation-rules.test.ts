// Pure reservation and catalogue rules, no servers.
import { DomainError } from '@sudamall/shared';
import { planBatch, resolveLine, validateReserveRequest, type ProductStockIndex, type ReserveOutcome, type StockLevel } from '../../src/domain/reservation';
import { applyAdjustment, assertCanManage, parsePrice, planInitialStock, stockSizeFor, storeForNewProduct } from '../../src/domain/product';

let seq = 0;
const newId = () => `id-${++seq}`;
const now = new Date('2026-01-01T00:00:00.000Z');
const level = (id: string, available: number, deleted = false): [string, StockLevel] => [id, { id, productId: `p-${id}`, available, deleted }];
const req = (order_id: string, lines: Array<[string, number]>) => ({
  request: { order_id, lines: lines.map(([stock, quantity], i) => ({ line_id: `l${i}`, product_id: `p-${stock}`, size: '', quantity })) },
  stockIds: lines.map(([stock]) => stock),
});

describe('planBatch', () => {
  it('serves requests in arrival order until a row runs out, each all-or-nothing', () => {
    const plan = planBatch({
      requests: [
        req('o1', [['a', 2]]),
        req('o2', [
          ['a', 2],
          ['b', 1],
        ]),
        req('o3', [
          ['a', 1],
          ['b', 5],
        ]),
        req('o4', [['a', 1]]),
      ],
      stock: new Map([level('a', 5), level('b', 3)]),
      existing: new Map(),
      now,
      defaultTtlSeconds: 60,
      newId,
    });
    expect(plan.results.map((r) => r.outcome.status)).toEqual(['reserved', 'reserved', 'rejected', 'reserved']);
    expect(plan.taken).toEqual(
      new Map([
        ['a', 5],
        ['b', 1],
      ]),
    );
    const o3 = plan.results[2].outcome as Extract<ReserveOutcome, { status: 'rejected' }>;
    expect(o3.short_lines).toEqual([{ line_id: 'l1', product_id: 'p-b', size: '', requested: 5, available: 2, code: 'INSUFFICIENT_STOCK' }]);
    expect(plan.reservations).toHaveLength(4);
    expect(plan.reservations[0].expiresAt.toISOString()).toBe('2026-01-01T00:01:00.000Z');
  });

  it('returns a stored outcome again and a duplicate in the same batch gets the first decision', () => {
    const stored: ReserveOutcome = { order_id: 'old', status: 'rejected', code: 'INSUFFICIENT_STOCK', short_lines: [] };
    const plan = planBatch({
      requests: [req('old', [['a', 1]]), req('new', [['a', 1]]), req('new', [['a', 1]])],
      stock: new Map([level('a', 5)]),
      existing: new Map([['old', stored]]),
      now,
      defaultTtlSeconds: 60,
      newId,
    });
    expect(plan.results[0]).toEqual({ outcome: stored, isNew: false });
    expect(plan.results[2]).toEqual({ outcome: plan.results[1].outcome, isNew: false });
    expect(plan.taken.get('a')).toBe(1);
    expect(plan.newOutcomes).toHaveLength(1);
  });

  it('a product deleted under the lock is PRODUCT_UNAVAILABLE', () => {
    const plan = planBatch({
      requests: [req('o', [['a', 1]])],
      stock: new Map([level('a', 5, true)]),
      existing: new Map(),
      now,
      defaultTtlSeconds: 60,
      newId,
    });
    expect(plan.results[0].outcome).toMatchObject({ status: 'rejected', code: 'PRODUCT_UNAVAILABLE' });
    expect(plan.taken.size).toBe(0);
  });

  it('a size removed under the lock is SIZE_NOT_FOUND, whatever its row still counts', () => {
    const [id, removed] = level('a', 5);
    const plan = planBatch({
      requests: [req('o', [['a', 1]])],
      stock: new Map([[id, { ...removed, removed: true }]]),
      existing: new Map(),
      now,
      defaultTtlSeconds: 60,
      newId,
    });
    expect(plan.results[0].outcome).toMatchObject({ status: 'rejected', code: 'SIZE_NOT_FOUND' });
    expect(plan.taken.size).toBe(0);
  });
});

describe('validateReserveRequest', () => {
  const ok = { order_id: 'o', lines: [{ line_id: 'a', product_id: 'p', size: null, quantity: 1 }] };
  it('normalizes a null size to ""', () => {
    expect(validateReserveRequest(ok).lines[0].size).toBe('');
  });
  it.each([
    [{ ...ok, order_id: '' }, 'INVALID_ORDER_ID'],
    [{ ...ok, lines: [] }, 'NO_LINES'],
    [{ ...ok, lines: [{ ...ok.lines[0], quantity: 0 }] }, 'INVALID_QUANTITY'],
    [{ ...ok, lines: [{ ...ok.lines[0], quantity: -2 }] }, 'INVALID_QUANTITY'],
    [{ ...ok, lines: [{ ...ok.lines[0], quantity: 1.5 }] }, 'INVALID_QUANTITY'],
    [{ ...ok, lines: [ok.lines[0], ok.lines[0]] }, 'DUPLICATE_LINE_ID'],
    [{ ...ok, lines: [{ ...ok.lines[0], product_id: '' }] }, 'INVALID_PRODUCT_ID'],
    [{ ...ok, ttl_seconds: 0 }, 'INVALID_TTL'],
  ])('%j → %s', (input, code) => {
    expect(() => validateReserveRequest(input)).toThrow(expect.objectContaining({ kind: 'invalid', code }));
  });
});

describe('resolveLine', () => {
  const sized: ProductStockIndex = { productId: 'p', hasSizes: true, deleted: false, stockIds: new Map([['M', 's-m']]) };
  const plain: ProductStockIndex = { productId: 'q', hasSizes: false, deleted: false, stockIds: new Map([['', 's-q']]) };
  const line = (size: string) => ({ line_id: 'l', product_id: 'p', size, quantity: 1 });
  it('maps each mistake to its own code', () => {
    expect(resolveLine(line('M'), sized)).toEqual({ ok: true, stockId: 's-m' });
    expect(resolveLine(line('XL'), sized)).toEqual({ ok: false, code: 'SIZE_NOT_FOUND' });
    expect(resolveLine(line(''), sized)).toEqual({ ok: false, code: 'SIZE_REQUIRED' });
    expect(resolveLine(line('M'), plain)).toEqual({ ok: false, code: 'SIZE_NOT_ALLOWED' });
    expect(resolveLine(line(''), undefined)).toEqual({ ok: false, code: 'PRODUCT_NOT_FOUND' });
    expect(resolveLine(line(''), { ...plain, deleted: true })).toEqual({ ok: false, code: 'PRODUCT_UNAVAILABLE' });
  });
});

describe('catalogue rules', () => {
  it('prices: strings or numbers, two decimals at most, above zero', () => {
    expect(parsePrice('19.99').toFixed(2)).toBe('19.99');
    expect(parsePrice(19.9).toFixed(2)).toBe('19.90');
    for (const bad of ['0', '0.00', '1.999', '-1', 'abc', 0.001, Number.NaN, null]) {
      expect(() => parsePrice(bad)).toThrow(DomainError);
    }
  });

  it('initial stock: one row without sizes, one per size with sizes', () => {
    expect(planInitialStock({ available_quantity: 4 })).toEqual({ hasSizes: false, rows: [{ size: '', available: 4 }] });
    expect(planInitialStock({ sizes: [{ size: 'S', available_quantity: 1 }] })).toEqual({ hasSizes: true, rows: [{ size: 'S', available: 1 }] });
    expect(() =>
      planInitialStock({
        has_sizes: true,
        sizes: [
          { size: 'S', available_quantity: 1 },
          { size: 'S', available_quantity: 2 },
        ],
      }),
    ).toThrow(expect.objectContaining({ code: 'DUPLICATE_SIZE' }));
  });

  it('only the owning store (or an admin) manages a product; buyers never create', () => {
    const product = { storeId: 's1' };
    expect(() => assertCanManage({ id: 'u', role: 'seller', storeId: 's1' }, product)).not.toThrow();
    expect(() => assertCanManage({ id: 'u', role: 'admin' }, product)).not.toThrow();
    expect(() => assertCanManage({ id: 'u', role: 'seller', storeId: 's2' }, product)).toThrow(expect.objectContaining({ kind: 'forbidden' }));
    expect(() => assertCanManage({ id: 'u', role: 'buyer' }, product)).toThrow(expect.objectContaining({ kind: 'forbidden' }));
    expect(storeForNewProduct({ id: 'u', role: 'seller', storeId: 's1' }, undefined)).toBe('s1');
    expect(() => storeForNewProduct({ id: 'u', role: 'buyer' }, 's1')).toThrow(expect.objectContaining({ kind: 'forbidden' }));
  });

  it('sizes of stock changes and adjustments', () => {
    expect(stockSizeFor(true, ' M ')).toBe('M');
    expect(() => stockSizeFor(true, undefined)).toThrow(expect.objectContaining({ code: 'SIZE_REQUIRED' }));
    expect(() => stockSizeFor(false, 'M')).toThrow(expect.objectContaining({ code: 'SIZE_NOT_ALLOWED' }));
    expect(applyAdjustment(5, -5)).toBe(0);
    expect(() => applyAdjustment(5, -6)).toThrow(expect.objectContaining({ kind: 'conflict', code: 'INSUFFICIENT_STOCK' }));
  });
});
