// A buyer is charged only prices they were shown. The cart records every price change as a
// cart change, unseen until the buyer reads the cart (GET /carts/) or validates it; checkout
// refuses while a line's price moved since then, naming the price the buyer last saw and the
// one that would be charged.
import { formatMoney } from '@sudamall/shared';
import { sizeForJson } from './catalog';
import type { ItemState } from './reconcile';

export interface UnseenChange {
  id: string;
  kind: string;
  itemId: string | null;
  oldValue: string | null;
}

export interface PriceNotShown {
  item_id: string;
  product_id: string;
  product_name: string;
  size: string | null;
  old_price: string;
  new_price: string;
}

/**
 * The lines whose price differs from what the buyer last saw. `unseen` are the price changes not
 * yet shown, oldest first: the oldest one's old value is the last price the buyer saw. A price
 * that moved and came back is not a change.
 */
export function pricesNotShown(items: readonly ItemState[], unseen: readonly UnseenChange[]): PriceNotShown[] {
  const lastSeen = new Map<string, string>();
  for (const c of [...unseen].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))) {
    if (c.kind !== 'price_changed' || !c.itemId || c.oldValue == null) continue;
    if (!lastSeen.has(c.itemId)) lastSeen.set(c.itemId, c.oldValue);
  }
  const out: PriceNotShown[] = [];
  for (const item of items) {
    const seen = lastSeen.get(item.id);
    const now = formatMoney(item.currentPrice);
    if (seen === undefined || seen === now) continue;
    out.push({ item_id: item.id, product_id: item.productId, product_name: item.productName, size: sizeForJson(item.size), old_price: seen, new_price: now });
  }
  return out;
}
