// POST /carts/validate/: checks every item against live stock and price (one batched lookup),
// applies the fixes, and reports them together with what the catalogue sync changed since the
// buyer last looked.
import { sizeForJson, type CatalogProduct } from '../domain/catalog';
import { describeChange, factsFromProduct, reconcileItem, type ChangeReason } from '../domain/reconcile';
import type { CartStore, RecordedChange } from '../infra/cart-store';
import type { Sql } from '@sudamall/shared';
import { viewCart, type CartView } from './cart-view';
import type { CatalogPort } from './ports';

export interface ValidationProblem {
  code: string;
  message: string;
  item_id: string | null;
  product_id: string | null;
  size: string | null;
}

export interface ValidationResult {
  valid: boolean;
  items_updated: Array<{
    item_id: string | null;
    product_id: string;
    product_name: string;
    size: string | null;
    old_price: string | null;
    new_price: string | null;
  }>;
  items_removed: Array<{ item_id: string | null; product_id: string; product_name: string; size: string | null; quantity: number; reason: string }>;
  quantities_reduced: Array<{
    item_id: string | null;
    product_id: string;
    product_name: string;
    size: string | null;
    old_quantity: number;
    new_quantity: number;
  }>;
  problems: ValidationProblem[];
  cart: CartView;
}

/** The error code a buyer-facing problem carries, per reason. */
const PROBLEM_CODE: Record<ChangeReason, string> = {
  price_changed: 'PRICE_CHANGED',
  product_deleted: 'PRODUCT_UNAVAILABLE',
  product_not_found: 'PRODUCT_NOT_FOUND',
  size_removed: 'SIZE_NOT_FOUND',
  size_required: 'SIZE_REQUIRED',
  out_of_stock: 'INSUFFICIENT_STOCK',
  stock_reduced: 'INSUFFICIENT_STOCK',
};

export class ValidateCart {
  constructor(
    private readonly db: Sql,
    private readonly store: CartStore,
    private readonly catalog: CatalogPort,
  ) {}

  async execute(userId: string): Promise<ValidationResult> {
    const before = await this.store.items(userId);
    const checkedAt = new Date();
    const asked = new Set(before.map((i) => i.productId));
    const products = asked.size ? await this.catalog.getProducts([...asked]) : new Map<string, CatalogProduct>();
    // In one transaction: the changes the sync recorded earlier (they come first; taking them
    // marks them seen) and the fixes found now (recorded as already seen, since this answer
    // shows them), so a failure loses neither.
    const { earlier, found } = await this.db.transaction(async (tx) => {
      const earlier = await this.store.takeUnseenChanges(userId, tx);
      // An item added since the lookup was checked live by its own add; it is not judged here.
      const items = (await this.store.lockItemsOfUser(tx, userId)).filter((i) => asked.has(i.productId));
      const outcomes = items.map((item) => ({ item, outcome: reconcileItem(item, factsFromProduct(products.get(item.productId))) }));
      const found = await this.store.applyOutcomes(tx, outcomes, { seen: true, asOf: checkedAt, touchKept: true });
      return { earlier, found };
    });
    const all: Array<Omit<RecordedChange, 'id' | 'createdAt'>> = [...earlier, ...found];
    const cart = viewCart(userId, await this.store.items(userId));

    const result: ValidationResult = { valid: true, items_updated: [], items_removed: [], quantities_reduced: [], problems: [], cart };
    for (const c of all) {
      const common = { item_id: c.itemId, product_id: c.productId, product_name: c.productName, size: sizeForJson(c.size) };
      if (c.kind === 'price_changed') result.items_updated.push({ ...common, old_price: c.oldValue, new_price: c.newValue });
      else if (c.kind === 'quantity_reduced') result.quantities_reduced.push({ ...common, old_quantity: Number(c.oldValue), new_quantity: Number(c.newValue) });
      else result.items_removed.push({ ...common, quantity: Number(c.oldValue ?? 0), reason: c.reason });
      const reason = c.reason as ChangeReason;
      result.problems.push({
        code: PROBLEM_CODE[reason] ?? 'CART_CHANGED',
        message: describeChange({ ...c, reason }),
        item_id: c.itemId,
        product_id: c.productId,
        size: sizeForJson(c.size),
      });
    }
    if (cart.items.length === 0) {
      result.problems.push({ code: 'CART_EMPTY', message: 'The cart is empty.', item_id: null, product_id: null, size: null });
    }
    result.valid = result.problems.length === 0;
    return result;
  }
}
