import type { AuthUser } from '@sudamall/shared';
import type { AdjustmentRecord, OrderStore } from '../infra/order-store';
import { readableHead } from './order-access';

/** The order's returns, oldest first: its buyer and admins see all, a seller their store's. */
export class ListReturns {
  constructor(private readonly store: OrderStore) {}

  async execute(user: AuthUser, orderId: string): Promise<AdjustmentRecord[]> {
    await readableHead(this.store, user, orderId, ['owner', 'seller', 'admin']);
    const all = await this.store.listReturns(orderId);
    return user.role === 'seller' ? all.filter((r) => r.storeId === user.storeId) : all;
  }
}
