import { formatMoney, sumMoney, type SortOf } from '@sudamall/shared';

/**
 * Who is asking decides which orders a list holds: a buyer their own, a seller their store's
 * (every order with at least one of its items), an admin every order, narrowed on request.
 */
export type OrderScope = { kind: 'buyer'; userId: string } | { kind: 'store'; storeId: string } | { kind: 'all'; userId?: string; storeId?: string };

export const ORDER_SORT_FIELDS = ['created_at', 'total_amount'] as const;
export type OrderSort = SortOf<(typeof ORDER_SORT_FIELDS)[number]>;
export const DEFAULT_ORDER_SORT: OrderSort = '-created_at';

export interface OrderListFilter<Status extends string = string> {
  scope: OrderScope;
  status?: Status;
  createdAfter?: Date;
  createdBefore?: Date;
  sort: OrderSort;
  page: number;
  pageSize: number;
}

/** The part of an order's view a store may be shown. */
export interface StoreScopedView {
  total_amount: string;
  store_ids: string[];
  short_lines: Array<{ product_id: string }>;
  items: Array<{ store_id: string; product_id: string; subtotal: string }>;
  fulfillments: Array<{ store_id: string }>;
  cancellation: { store_id: string | null } | null;
}

/**
 * A seller sees their own store's part of an order and nothing of another store's: only their
 * lines and fulfilment, their store id, the short lines of their products, and as `total_amount` what their
 * lines add up to (the whole order's total minus theirs would reveal the other stores' prices).
 */
export function storeViewOf<V extends StoreScopedView>(view: V, storeId: string): V {
  const items = view.items.filter((it) => it.store_id === storeId);
  const products = new Set(items.map((it) => it.product_id));
  return {
    ...view,
    items,
    fulfillments: view.fulfillments.filter((f) => f.store_id === storeId),
    // A whole-order cancellation concerns every store; another store's part is not theirs to see.
    cancellation: view.cancellation && (view.cancellation.store_id === null || view.cancellation.store_id === storeId) ? view.cancellation : null,
    store_ids: view.store_ids.filter((s) => s === storeId),
    short_lines: view.short_lines.filter((l) => products.has(l.product_id)),
    total_amount: formatMoney(sumMoney(items.map((it) => it.subtotal))),
  };
}
