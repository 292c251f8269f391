import type { AuthUser } from '@sudamall/shared';
import type { OrderListFilter, OrderScope } from '../domain/order-listing';
import type { OrderStatus } from '../domain/order-status';
import type { OrderRecord, OrderStore } from '../infra/order-store';
import type { PaymentStatusPort } from './catalog';
import { paymentSummaryOf, type PaymentSummary } from './payment-summary';

export type ListOrdersQuery = Omit<OrderListFilter<OrderStatus>, 'scope'> & { userId?: string; storeId?: string };

/** A page of orders as one reader reads them: `storeId` set when a seller is shown only their store's part of each. */
export interface OrderPageRead {
  items: Array<{ order: OrderRecord; payment?: PaymentSummary | null }>;
  total: number;
  storeId: string | null;
}

/**
 * The orders a reader may find: a buyer's own, a seller's store's (each shown as the store's
 * part), every order for an admin, who alone may narrow by `userId` / `storeId`.
 */
export class ListOrders {
  constructor(
    private readonly store: OrderStore,
    private readonly payments: PaymentStatusPort | null,
  ) {}

  async execute(user: AuthUser, query: ListOrdersQuery): Promise<OrderPageRead> {
    const { userId, storeId, ...rest } = query;
    const scope: OrderScope =
      user.role === 'admin'
        ? { kind: 'all', userId, storeId }
        : user.role === 'seller' && user.storeId
          ? { kind: 'store', storeId: user.storeId }
          : { kind: 'buyer', userId: user.id };
    const page = await this.store.list({ ...rest, scope });
    if (scope.kind !== 'store') return { items: page.items.map((order) => ({ order })), total: page.total, storeId: null };
    // A seller's page (at most page_size orders) asks payment about each order, at once.
    const payments = await Promise.all(page.items.map((o) => paymentSummaryOf(this.payments, o.id)));
    return { items: page.items.map((order, i) => ({ order, payment: payments[i] ?? null })), total: page.total, storeId: scope.storeId };
  }
}
