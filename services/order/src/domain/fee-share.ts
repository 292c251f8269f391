import { formatMoney, money, roundCents, sumMoney, type MoneyInput } from '@sudamall/shared';

/**
 * The gateway fee the buyer paid, shared out between the stores of the order in proportion to
 * their subtotals, so a store's part cancelled after payment gives back its lines and its share.
 * Rounding is half-up on the running total (stores in id order): each share is
 * round(fee × parts so far / total) − round(fee × parts before / total), so every share is
 * non-negative and, whichever parts are cancelled in whatever order, they add up to the fee.
 */
export function feeShares(fee: MoneyInput, parts: ReadonlyArray<{ storeId: string; subtotal: MoneyInput }>): Map<string, string> {
  const sorted = [...parts].sort((a, b) => (a.storeId < b.storeId ? -1 : a.storeId > b.storeId ? 1 : 0));
  const total = sumMoney(sorted.map((p) => p.subtotal));
  const shares = new Map<string, string>();
  if (total.isZero()) {
    for (const p of sorted) shares.set(p.storeId, '0.00');
    return shares;
  }
  const f = money(fee);
  let running = money(0);
  let before = money(0);
  for (const p of sorted) {
    running = running.plus(money(p.subtotal));
    const upTo = roundCents(f.times(running).dividedBy(total));
    shares.set(p.storeId, formatMoney(upTo.minus(before)));
    before = upTo;
  }
  return shares;
}

/** A store's part as a refund: its lines plus its share of the fee. */
export function partRefund(subtotal: MoneyInput, feeShare: MoneyInput): string {
  return formatMoney(money(subtotal).plus(money(feeShare)));
}

/**
 * Returned lines as a refund: their value plus the same fraction of their store's fee share
 * (half-up), never more than the store's part.
 */
export function returnRefund(returnedValue: MoneyInput, store: { subtotal: MoneyInput; feeShare: MoneyInput }): string {
  const subtotal = money(store.subtotal);
  if (subtotal.isZero()) return formatMoney(returnedValue);
  const share = roundCents(money(store.feeShare).times(money(returnedValue)).dividedBy(subtotal));
  return formatMoney(money(returnedValue).plus(share));
}
