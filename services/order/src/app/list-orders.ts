import type { AuthUser } from '@sudamall/shared';
import { storeViewOf, type OrderListFilter, type OrderScope } from '../domain/order-listing';
import type { OrderStatus } from '../domain/order-status';
import type { OrderStore } from '../infra/order-store';
import type { PaymentStatusPort } from './catalog';
import { paymentSummaryOf } from './payment-summary';

export type ListOrdersQuery = Omit<OrderListFilter<OrderStatus>, 'scope'> & { userId?: string; storeId?: string };

/**
 * The orders a reader may find: a buyer's own, a seller's store's (each shown as the store's
 * part), every order for an admin, who alone may narrow by `userId` / `storeId`.
 */
export class ListOrders {
  constructor(
    private readonly store: OrderStore,
    private readonly payments: PaymentStatusPort | null,
  ) {}

  async execute(user: AuthUser, query: ListOrdersQuery) {
    const { userId, storeId, ...rest } = query;
    const scope: OrderScope =
      user.role === 'admin'
        ? { kind: 'all', userId, storeId }
        : user.role === 'seller' && user.storeId
          ? { kind: 'store', storeId: user.storeId }
          : { kind: 'buyer', userId: user.id };
    const page = await this.store.list({ ...rest, scope });
    if (scope.kind !== 'store') return page;
    // A seller's page (at most page_size orders) asks payment about each order, at once.
    const payments = await Promise.all(page.items.map((o) => paymentSummaryOf(this.payments, o.order_id)));
    return { ...page, items: page.items.map((o, i) => ({ ...storeViewOf(o, scope.storeId), payment: payments[i] ?? null })) };
  }
}
