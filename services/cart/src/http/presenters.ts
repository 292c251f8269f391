// Use-case results → JSON bodies (snake_case, money as two-decimal strings, size null when none).
import { formatMoney, type Decimal } from '@sudamall/shared';
import type { CartView } from '../app/cart-view';
import { sizeForJson } from '../domain/catalog';
import { describeChange, type ChangeReason } from '../domain/reconcile';
import type { CartItemRecord, RecordedChange } from '../infra/cart-store';

/** `subtotal`: the cart view's (computed once there); an item on its own gets it here. */
export function presentItem(i: CartItemRecord & { subtotal?: Decimal }) {
  return {
    id: i.id,
    product_id: i.productId,
    product_name: i.productName,
    size: sizeForJson(i.size),
    quantity: i.quantity,
    price_when_added: formatMoney(i.priceWhenAdded),
    current_price: formatMoney(i.currentPrice),
    subtotal: formatMoney(i.subtotal ?? i.currentPrice.times(i.quantity)),
    added_at: i.createdAt.toISOString(),
  };
}

export function presentChange(c: RecordedChange) {
  return {
    kind: c.kind,
    reason: c.reason,
    message: describeChange({ ...c, reason: c.reason as ChangeReason }),
    item_id: c.itemId,
    product_id: c.productId,
    product_name: c.productName,
    size: sizeForJson(c.size),
    old_value: c.oldValue,
    new_value: c.newValue,
    at: c.createdAt.toISOString(),
  };
}

export function presentCart(cart: CartView) {
  return {
    items: cart.items.map(presentItem),
    total: formatMoney(cart.total),
    item_count: cart.itemCount,
    changes: cart.changes.map(presentChange),
  };
}
