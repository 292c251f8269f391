import DecimalBase from 'decimal.js';

/**
 * The project's own Decimal constructor: half-up rounding (what shoppers and accountants
 * expect) and enough precision that no intermediate product of amounts is ever rounded.
 */
export const Decimal = DecimalBase.clone({ precision: 40, rounding: DecimalBase.ROUND_HALF_UP });
export type Decimal = DecimalBase;

export type MoneyInput = string | number | DecimalBase;

/** An amount as a Decimal. Numbers are accepted for literals in code, never for computed floats. */
export function money(x: MoneyInput): DecimalBase {
  if (typeof x === 'string' && !/^-?\d+(\.\d+)?$/.test(x.trim())) {
    throw new TypeError(`not a decimal amount: ${JSON.stringify(x)}`);
  }
  return new Decimal(x);
}

/** Half-up to cents. */
export function roundCents(d: MoneyInput): DecimalBase {
  // Already in cents and of this constructor (every stored price, and its product by a quantity):
  // itself, a Decimal being immutable; every line of every cart shown goes through here.
  if (DecimalBase.isDecimal(d) && d.constructor === Decimal && d.decimalPlaces() <= 2) return d;
  return new Decimal(d).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}

/** Always two decimals: "12.30", "-0.50". */
export function formatMoney(d: MoneyInput): string {
  // An amount already in cents (every stored price) needs only the padding: one operation
  // instead of three (a copy, the rounding, the string), on every amount every response shows.
  if (DecimalBase.isDecimal(d) && d.decimalPlaces() <= 2) return d.toFixed(2);
  return roundCents(d).toFixed(2, Decimal.ROUND_HALF_UP);
}

export function sumMoney(list: Iterable<MoneyInput>): DecimalBase {
  let total = new Decimal(0);
  // plus() reads its argument through the sum's constructor: no copy of each amount first.
  for (const x of list) total = total.plus(x);
  return total;
}

/** A non-negative amount with at most two decimals, as JSON and protobuf carry it. */
export function isMoneyString(s: unknown): s is string {
  return typeof s === 'string' && /^\d{1,10}(\.\d{1,2})?$/.test(s);
}

/** JSON-schema pattern for money strings (use in TypeBox: `Type.String({ pattern: MONEY_PATTERN })`). */
export const MONEY_PATTERN = '^\\d{1,10}(\\.\\d{1,2})?$';
