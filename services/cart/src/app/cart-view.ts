// The cart as the buyer sees it. Subtotals use the current price: it is what checkout charges
// (order takes prices from inventory), while price_when_added shows what the buyer first saw.
import { Decimal, sumMoney, roundCents } from '@sudamall/shared';
import type { CartItemRecord, RecordedChange } from '../infra/cart-store';

export interface CartItemView extends CartItemRecord {
  subtotal: Decimal;
}

export interface CartView {
  userId: string;
  items: CartItemView[];
  total: Decimal;
  /** Sum of quantities. */
  itemCount: number;
  changes: RecordedChange[];
}

export function viewCart(userId: string, items: readonly CartItemRecord[], changes: RecordedChange[] = []): CartView {
  const viewed = items.map((i) => ({ ...i, subtotal: roundCents(i.currentPrice.times(i.quantity)) }));
  return {
    userId,
    items: viewed,
    total: viewed.length ? roundCents(sumMoney(viewed.map((i) => i.subtotal))) : new Decimal(0),
    itemCount: items.reduce((n, i) => n + i.quantity, 0),
    changes,
  };
}
