// Bringing a cart item in line with what is now known of its product. The same rules serve the
// catalogue events (each tells one fact: a price, a deletion, the sizes, the stock) and the
// buyer's POST /carts/validate/ (every fact at once, read live from inventory), so the buyer
// gets the same changes and reasons whichever found them first.
import { formatMoney, type Decimal } from '@sudamall/shared';
import { NO_SIZE, type CatalogProduct } from './catalog';

export type ChangeKind = 'price_changed' | 'removed' | 'quantity_reduced' | 'size_removed';
export type ChangeReason = 'price_changed' | 'product_deleted' | 'product_not_found' | 'size_removed' | 'size_required' | 'out_of_stock' | 'stock_reduced';

/** One thing that changed in a buyer's cart, and why. Values are strings (prices "12.50"). */
export interface CartChange {
  kind: ChangeKind;
  reason: ChangeReason;
  itemId: string;
  productId: string;
  productName: string;
  size: string;
  oldValue: string | null;
  newValue: string | null;
}

export interface ItemState {
  id: string;
  productId: string;
  productName: string;
  size: string;
  quantity: number;
  currentPrice: Decimal;
}

/** What is known of a product; each field is optional because an event tells only part. */
export interface ProductFacts {
  missing?: boolean;
  deleted?: boolean;
  name?: string;
  price?: Decimal;
  /** The sizes the product has now. */
  sizes?: { hasSizes: boolean; names: ReadonlySet<string> };
  /** The stock now: `total` for products without sizes, `bySize` otherwise. */
  stock?: { hasSizes: boolean; total: number; bySize: ReadonlyMap<string, number> };
}

export type ItemOutcome =
  | { action: 'keep'; changes: [] }
  | { action: 'remove'; changes: CartChange[] }
  | { action: 'update'; quantity: number; currentPrice: Decimal; productName: string; changes: CartChange[] };

export function factsFromProduct(product: CatalogProduct | undefined): ProductFacts {
  if (!product) return { missing: true };
  if (product.deleted) return { deleted: true };
  return {
    name: product.name,
    price: product.price,
    sizes: { hasSizes: product.hasSizes, names: new Set(product.sizes.keys()) },
    stock: { hasSizes: product.hasSizes, total: product.available, bySize: product.sizes },
  };
}

/** How many of each size a line may hold: a line of a size not listed may hold none. */
export interface StockCaps {
  sizes: string[];
  available: number[];
}

/**
 * When the facts tell only the stock (a `stock.changed`), the caps under which reconcileItem keeps
 * a line as it is: it changes exactly the lines of a size not listed, or above their size's
 * quantity. The catalogue sync then reads those lines alone instead of locking every line of the
 * product, on each of the two stock movements of every checkout. Undefined when the facts tell
 * more than the stock: then any line may change.
 */
export function stockCaps(facts: ProductFacts): StockCaps | undefined {
  const { stock, ...rest } = facts;
  if (!stock || Object.values(rest).some((fact) => fact !== undefined)) return undefined;
  if (!stock.hasSizes) return { sizes: [NO_SIZE], available: [stock.total] };
  // A line without a size cannot be kept once the product has sizes (size_required).
  const sizes = [...stock.bySize.keys()].filter((size) => size !== NO_SIZE);
  return { sizes, available: sizes.map((size) => stock.bySize.get(size) ?? 0) };
}

export function reconcileItem(item: ItemState, facts: ProductFacts): ItemOutcome {
  const change = (kind: ChangeKind, reason: ChangeReason, oldValue: string | null, newValue: string | null): CartChange => ({
    kind,
    reason,
    itemId: item.id,
    productId: item.productId,
    productName: facts.name ?? item.productName,
    size: item.size,
    oldValue,
    newValue,
  });
  const removed = (kind: ChangeKind, reason: ChangeReason): ItemOutcome => ({
    action: 'remove',
    changes: [change(kind, reason, String(item.quantity), '0')],
  });

  if (facts.missing) return removed('removed', 'product_not_found');
  if (facts.deleted) return removed('removed', 'product_deleted');

  const sizeGone = sizeNoLongerSold(item.size, facts);
  if (sizeGone) return sizeGone === 'size_required' ? removed('removed', 'size_required') : removed('size_removed', 'size_removed');

  const changes: CartChange[] = [];
  let currentPrice = item.currentPrice;
  if (facts.price && !facts.price.equals(item.currentPrice)) {
    changes.push(change('price_changed', 'price_changed', formatMoney(item.currentPrice), formatMoney(facts.price)));
    currentPrice = facts.price;
  }

  let quantity = item.quantity;
  if (facts.stock) {
    const available = facts.stock.hasSizes ? (facts.stock.bySize.get(item.size) ?? 0) : facts.stock.total;
    if (available <= 0) return { action: 'remove', changes: [...changes, change('removed', 'out_of_stock', String(quantity), '0')] };
    if (available < quantity) {
      changes.push(change('quantity_reduced', 'stock_reduced', String(quantity), String(available)));
      quantity = available;
    }
  }

  const productName = facts.name ?? item.productName;
  if (changes.length === 0 && productName === item.productName) return { action: 'keep', changes: [] };
  return { action: 'update', quantity, currentPrice, productName, changes };
}

/** Why the item's size can no longer be bought, if it cannot. */
function sizeNoLongerSold(size: string, facts: ProductFacts): 'size_removed' | 'size_required' | null {
  const known = facts.sizes ?? (facts.stock ? { hasSizes: facts.stock.hasSizes, names: new Set(facts.stock.bySize.keys()) } : undefined);
  if (!known) return null;
  if (known.hasSizes) {
    if (size === NO_SIZE) return 'size_required';
    return known.names.has(size) ? null : 'size_removed';
  }
  return size === NO_SIZE ? null : 'size_removed';
}

/** The sentence shown to the buyer for a change. */
export function describeChange(c: Pick<CartChange, 'reason' | 'productName' | 'size' | 'oldValue' | 'newValue'>): string {
  const what = c.size ? `${c.productName} (size ${c.size})` : c.productName;
  switch (c.reason) {
    case 'price_changed':
      return `The price of ${what} changed from ${c.oldValue} to ${c.newValue}.`;
    case 'product_deleted':
      return `${what} is no longer sold and was removed from your cart.`;
    case 'product_not_found':
      return `${what} no longer exists and was removed from your cart.`;
    case 'size_removed':
      return `Size ${c.size} of ${c.productName} is no longer available and was removed from your cart.`;
    case 'size_required':
      return `${c.productName} now comes in sizes; it was removed from your cart so you can choose one.`;
    case 'out_of_stock':
      return `${what} is out of stock and was removed from your cart.`;
    case 'stock_reduced':
      return `Only ${c.newValue} of ${what} are available; the quantity was lowered from ${c.oldValue}.`;
  }
}
