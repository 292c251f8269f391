import type { CartStore } from '../infra/cart-store';
import { viewCart, type CartView } from './cart-view';

export class GetCart {
  constructor(private readonly store: CartStore) {}

  /**
   * The buyer's cart. With `takeChanges`, also the changes recorded since the buyer last
   * looked, which are then marked seen (shown once).
   */
  async execute(userId: string, { takeChanges }: { takeChanges: boolean }): Promise<CartView> {
    const [items, changes] = await Promise.all([
      this.store.items(userId),
      takeChanges ? this.store.takeUnseenChanges(userId) : Promise.resolve([]),
    ]);
    return viewCart(userId, items, changes);
  }

  count(userId: string): Promise<number> {
    return this.store.count(userId);
  }
}
