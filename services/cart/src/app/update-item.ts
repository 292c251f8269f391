import { CartErrors } from '../domain/errors';
import { assertValidQuantity, fittingLine } from '../domain/cart-rules';
import type { CartItemRecord, CartStore } from '../infra/cart-store';
import type { CatalogPort } from './ports';

export type UpdateItemResult = { removed: true; itemId: string } | { removed: false; item: CartItemRecord };

export class UpdateItem {
  constructor(
    private readonly store: CartStore,
    private readonly catalog: CatalogPort,
  ) {}

  /** Sets an item's quantity; 0 removes it. Only the owner's items are found. */
  async execute(userId: string, itemId: string, quantity: number): Promise<UpdateItemResult> {
    assertValidQuantity(quantity, { allowZero: true });
    const item = await this.store.item(userId, itemId);
    if (!item) throw CartErrors.itemNotFound(itemId);
    if (quantity === 0) {
      if (!(await this.store.removeItem(userId, itemId))) throw CartErrors.itemNotFound(itemId);
      return { removed: true, itemId };
    }
    const checkedAt = new Date();
    const product = (await this.catalog.getProducts([item.productId])).get(item.productId);
    const { product: found } = fittingLine(item.productId, product, item.size, quantity);
    const updated = await this.store.setQuantity(userId, itemId, {
      quantity,
      currentPrice: found.price,
      productName: found.name,
      checkedAt,
    });
    if (!updated) throw CartErrors.itemNotFound(itemId);
    return { removed: false, item: updated };
  }
}

export class RemoveItem {
  constructor(private readonly store: CartStore) {}

  async execute(userId: string, itemId: string): Promise<void> {
    if (!(await this.store.removeItem(userId, itemId))) throw CartErrors.itemNotFound(itemId);
  }
}

export class ClearCart {
  constructor(private readonly store: CartStore) {}

  /** Returns how many items were removed. */
  execute(userId: string): Promise<number> {
    return this.store.clear(userId);
  }
}
