import { errorOf } from '../fixtures/domain-error';
import { returnedValue, validateReturn, type ReturnRequestRules } from '../../src/domain/returns';

const deliveredAt = new Date('2026-12-01T12:00:00Z');
const rules = (over: Partial<ReturnRequestRules> = {}): ReturnRequestRules => ({
  lines: [
    { lineId: 'a1', storeId: 'a', quantity: 3, price: '10.10' },
    { lineId: 'b1', storeId: 'b', quantity: 1, price: '5.25' },
  ],
  fulfillments: [
    { storeId: 'a', status: 'delivered', deliveredAt },
    { storeId: 'b', status: 'shipped', deliveredAt: null },
  ],
  alreadyReturned: new Map(),
  asked: [{ item_id: 'a1', quantity: 2 }],
  now: new Date('2026-12-07T12:00:00Z'),
  windowDays: 14,
  ...over,
});

describe('a return request', () => {
  it("takes a delivered store's lines within the window", () => {
    expect(validateReturn(rules())).toEqual({ storeId: 'a', lines: [{ line_id: 'a1', quantity: 2 }] });
    expect(returnedValue(rules().lines, [{ line_id: 'a1', quantity: 2 }])).toBe('20.20');
  });

  it('never returns more than was bought, counting returns already made or under way', () => {
    const err = errorOf(() => validateReturn(rules({ alreadyReturned: new Map([['a1', 2]]) })));
    expect(err).toMatchObject({ kind: 'conflict', code: 'RETURN_EXCEEDS_PURCHASE', details: { item_id: 'a1', bought: 3, returnable: 1, asked: 2 } });
    expect(validateReturn(rules({ alreadyReturned: new Map([['a1', 1]]) })).lines).toEqual([{ line_id: 'a1', quantity: 2 }]);
  });

  it('refuses what is not delivered, past the window, unknown, repeated, or of two stores', () => {
    expect(errorOf(() => validateReturn(rules({ asked: [{ item_id: 'b1', quantity: 1 }] }))).code).toBe('RETURN_NOT_DELIVERED');
    expect(errorOf(() => validateReturn(rules({ now: new Date('2026-12-15T12:00:01Z') }))).code).toBe('RETURN_WINDOW_CLOSED');
    expect(validateReturn(rules({ now: new Date('2026-12-15T12:00:00Z') })).storeId).toBe('a');
    expect(errorOf(() => validateReturn(rules({ asked: [{ item_id: 'zz', quantity: 1 }] }))).code).toBe('RETURN_ITEM_UNKNOWN');
    expect(
      errorOf(() =>
        validateReturn(
          rules({
            asked: [
              { item_id: 'a1', quantity: 1 },
              { item_id: 'a1', quantity: 1 },
            ],
          }),
        ),
      ).code,
    ).toBe('RETURN_ITEM_REPEATED');
    expect(
      errorOf(() =>
        validateReturn(
          rules({
            asked: [
              { item_id: 'a1', quantity: 1 },
              { item_id: 'b1', quantity: 1 },
            ],
          }),
        ),
      ).code,
    ).toBe('RETURN_SPANS_STORES');
  });
});
