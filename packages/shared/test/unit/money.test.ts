import DecimalBase from 'decimal.js';
import { Decimal, formatMoney, isMoneyString, money, roundCents, sumMoney } from '../../src/money';

describe('money', () => {
  it.each([
    ['10.01', '0.029', '0.29'], // 0.29029 → 0.29
    ['10.00', '0.029', '0.29'], // 0.29 exactly
    ['50.00', '0.029', '1.45'], // 1.45 exactly
    ['15.50', '0.029', '0.45'], // 0.4495 → 0.45 (half-up on the third decimal carries)
    ['0.50', '0.03', '0.02'], // 0.015 → 0.02 (a float would give 0.01)
    ['1.15', '0.5', '0.58'], // 0.575 → 0.58
  ])('fee on %s at rate %s rounds half-up to %s', (amount, rate, fee) => {
    expect(formatMoney(money(amount).times(rate))).toBe(fee);
  });

  it('rounds negative halves away from zero', () => {
    expect(formatMoney(money('-0.005'))).toBe('-0.01');
  });

  it('formats with exactly two decimals', () => {
    expect(formatMoney(money('12.3'))).toBe('12.30');
    expect(formatMoney(money(7))).toBe('7.00');
    expect(formatMoney('0')).toBe('0.00');
  });

  it('formats an amount already in cents exactly as it rounds any other amount', () => {
    for (const s of ['0', '-0', '0.1', '-0.10', '12.3', '19.99', '-7.05', '99999999999.99', '1000', '0.001', '-0.001', '-0.005', '2.675']) {
      expect({ s, formatted: formatMoney(money(s)) }).toEqual({ s, formatted: roundCents(s).toFixed(2, 4) });
    }
  });

  it('keeps cents exact where floats do not', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(formatMoney(sumMoney(['0.10', '0.20']))).toBe('0.30');
    expect(sumMoney(Array.from({ length: 1000 }, () => '0.01')).toString()).toBe('10');
  });

  it('roundCents returns a Decimal rounded half-up', () => {
    expect(roundCents('2.345').toString()).toBe('2.35');
    expect(roundCents('2.344').toString()).toBe('2.34');
  });

  it('roundCents gives an amount already in cents back as it is, and any other as the project Decimal', () => {
    const cents = money('19.90').times(3);
    expect(roundCents(cents)).toBe(cents);
    expect(roundCents(money('0.125')).toString()).toBe('0.13');
    // decimal.js's default constructor carries 20 significant digits, the project's 40.
    const foreign = new DecimalBase('12345678901234567890.5');
    const rounded = roundCents(foreign);
    expect(rounded.constructor).toBe(Decimal);
    expect(rounded.times('1.01').toFixed(3)).toBe('12469135690246913569.405');
  });

  it('sumMoney adds amounts given as Decimals, strings or numbers exactly', () => {
    expect(sumMoney([money('0.10'), '0.20', 0.3, money('99999999.99')]).toFixed(2)).toBe('100000000.59');
    expect(() => sumMoney(['1', 'x'])).toThrow();
  });

  it('refuses strings that are not decimal amounts', () => {
    expect(() => money('12,50')).toThrow(TypeError);
    expect(() => money('abc')).toThrow(TypeError);
    expect(() => money('1e3')).toThrow(TypeError);
  });

  it('isMoneyString accepts non-negative amounts with up to two decimals', () => {
    expect(['0', '19.99', '19.9', '1000000.00'].every(isMoneyString)).toBe(true);
    expect(['-1.00', '1.999', '', '1.', 'abc', '1e2'].some(isMoneyString)).toBe(false);
    expect(isMoneyString(19.99)).toBe(false);
  });
});
