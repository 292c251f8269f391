import type { CartStore } from '../infra/cart-store';
import { viewCart, type CartView } from './cart-view';

export class GetCart {
  constructor(private readonly store: CartStore) {}

  /**
   * The buyer's cart. With `takeChanges`, also the changes recorded since the buyer last
   * looked, which are then marked seen (shown once).
   */
  async execute(userId: string, { takeChanges }: { takeChanges: boolean }): Promise<CartView> {
    if (!takeChanges) return viewCart(userId, await this.store.items(userId));
    const { items, changes } = await this.store.itemsTakingChanges(userId);
    return viewCart(userId, items, changes);
  }

  count(userId: string): Promise<number> {
    return this.store.count(userId);
  }
}
