import type { AuthUser } from '@sudamall/shared';
import type { OrderStore, ReturnView } from '../infra/order-store';
import { readableHead } from './order-access';

/** The order's returns: its buyer and admins see all, a seller their store's. */
export class ListReturns {
  constructor(private readonly store: OrderStore) {}

  async execute(user: AuthUser, orderId: string): Promise<ReturnView[]> {
    await readableHead(this.store, user, orderId, ['owner', 'seller', 'admin']);
    const all = await this.store.listReturns(orderId);
    return user.role === 'seller' ? all.filter((r) => r.store_id === user.storeId) : all;
  }
}
