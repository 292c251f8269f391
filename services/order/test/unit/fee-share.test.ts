import fc from 'fast-check';
import { money, sumMoney } from '@sudamall/shared';
import { feeShares, partRefund, returnRefund } from '../../src/domain/fee-share';

describe("the fee's share of each store", () => {
  it('is proportional to the subtotals, half-up on the running total', () => {
    // 2.00 + 2.5 % of 25.45 = 2.64 (the test gateway's fee), over 20.20 and 5.25.
    const shares = feeShares('2.64', [
      { storeId: 'store-b', subtotal: '5.25' },
      { storeId: 'store-a', subtotal: '20.20' },
    ]);
    expect(shares.get('store-a')).toBe('2.10'); // 2.64 × 20.20 / 25.45 = 2.0953 → 2.10
    expect(shares.get('store-b')).toBe('0.54'); // 2.64 − 2.10
    expect(partRefund('20.20', shares.get('store-a')!)).toBe('22.30');
  });

  it('gives an even three-way split whole cents that add up to the fee', () => {
    const shares = feeShares(
      '0.05',
      ['a', 'b', 'c'].map((storeId) => ({ storeId, subtotal: '10.00' })),
    );
    expect([...shares.values()]).toEqual(['0.02', '0.01', '0.02']);
  });

  it('always adds up to the fee, never negative, for any subtotals', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 6 }),
        (feeCents, subtotalsCents) => {
          const fee = (feeCents / 100).toFixed(2);
          const parts = subtotalsCents.map((c, i) => ({ storeId: `s${i}`, subtotal: (c / 100).toFixed(2) }));
          const shares = [...feeShares(fee, parts).values()];
          expect(shares).toHaveLength(parts.length);
          for (const s of shares) expect(money(s).isNegative()).toBe(false);
          if (subtotalsCents.some((c) => c > 0)) expect(sumMoney(shares).toFixed(2)).toBe(fee);
        },
      ),
    );
  });
});

describe('a return as a refund', () => {
  it("is the lines' value plus the same fraction of the store's fee share", () => {
    expect(returnRefund('10.10', { subtotal: '20.20', feeShare: '2.10' })).toBe('11.15'); // 10.10 + 1.05
    expect(returnRefund('20.20', { subtotal: '20.20', feeShare: '2.10' })).toBe('22.30');
    expect(returnRefund('5.00', { subtotal: '0.00', feeShare: '0.00' })).toBe('5.00');
  });
});
