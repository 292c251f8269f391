// Pure restock rules (domain/restock.ts), no servers.
import { DomainError } from '@sudamall/shared';
import { planRestock, restockableUnits, validateRestockCommand, type RestockableLine } from '../../src/domain/restock';

const row = (line_id: string, quantity: number, restocked: number, status: RestockableLine['status'], size = ''): RestockableLine => ({
  id: `r-${line_id}`,
  line_id,
  product_id: `p-${line_id}`,
  size,
  quantity,
  restocked,
  status,
});
const request = (lines: Array<[string, number]>) => ({
  order_id: 'o1',
  restock_id: 'rs1',
  reason: 'returned',
  lines: lines.map(([line_id, quantity]) => ({ line_id, quantity })),
});

describe('planRestock', () => {
  it('gives back at most what a confirmed line still holds sold, nothing for other lines', () => {
    const plan = planRestock(
      request([
        ['a', 2],
        ['b', 5],
        ['c', 1],
        ['d', 1],
        ['x', 3],
      ]),
      [row('a', 3, 0, 'confirmed', 'M'), row('b', 4, 1, 'confirmed'), row('c', 2, 0, 'reserved'), row('d', 2, 0, 'released')],
    );
    expect(plan.result).toEqual({
      order_id: 'o1',
      restock_id: 'rs1',
      lines: [
        { line_id: 'a', product_id: 'p-a', size: 'M', quantity: 2 },
        { line_id: 'b', product_id: 'p-b', size: null, quantity: 3 },
        { line_id: 'c', product_id: 'p-c', size: null, quantity: 0 },
        { line_id: 'd', product_id: 'p-d', size: null, quantity: 0 },
        { line_id: 'x', product_id: '', size: null, quantity: 0 },
      ],
    });
    expect([...plan.gives]).toEqual([
      ['r-a', 2],
      ['r-b', 3],
    ]);
  });

  it('a fully restocked line gives nothing more', () => {
    expect(restockableUnits(row('a', 3, 3, 'confirmed'))).toBe(0);
    expect(planRestock(request([['a', 1]]), [row('a', 3, 3, 'confirmed')]).gives.size).toBe(0);
  });
});

describe('validateRestockCommand', () => {
  const ok = { order_id: 'o1', restock_id: 'rs1', reason: 'returned', lines: [{ line_id: 'a', quantity: 1 }] };
  const code = (input: Record<string, unknown>) => {
    try {
      validateRestockCommand(input);
      return 'ok';
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      return (e as DomainError).code;
    }
  };

  it('accepts a well-formed command; a missing reason becomes "restocked"', () => {
    expect(validateRestockCommand(ok)).toEqual(ok);
    expect(validateRestockCommand({ ...ok, reason: undefined }).reason).toBe('restocked');
  });

  it('refuses what no stock level can fix', () => {
    expect(code({ ...ok, order_id: '' })).toBe('INVALID_ORDER_ID');
    expect(code({ ...ok, restock_id: undefined })).toBe('INVALID_RESTOCK_ID');
    expect(code({ ...ok, lines: [] })).toBe('NO_LINES');
    expect(code({ ...ok, lines: [{ line_id: 'a', quantity: 0 }] })).toBe('INVALID_QUANTITY');
    expect(code({ ...ok, lines: [{ line_id: 'a', quantity: 1.5 }] })).toBe('INVALID_QUANTITY');
    expect(code({ ...ok, lines: [{ quantity: 1 }] })).toBe('INVALID_LINE_ID');
    expect(
      code({
        ...ok,
        lines: [
          { line_id: 'a', quantity: 1 },
          { line_id: 'a', quantity: 2 },
        ],
      }),
    ).toBe('DUPLICATE_LINE_ID');
  });
});
