import type { AuthUser } from '@sudamall/shared';
import { orderNotFound } from '../domain/errors';
import { storeViewOf } from '../domain/order-listing';
import type { OrderDetailView, OrderStore } from '../infra/order-store';
import type { PaymentStatusPort } from './catalog';
import { readableHead } from './order-access';
import { paymentSummaryOf, type PaymentSummary } from './payment-summary';

/**
 * The order as its reader may see it: a seller only their store's part (storeViewOf), with how
 * the buyer pays and where that stands (asked of the payment service; null when it cannot say).
 */
export class GetOrder {
  constructor(
    private readonly store: OrderStore,
    private readonly payments: PaymentStatusPort | null,
  ) {}

  async execute(user: AuthUser, orderId: string): Promise<OrderDetailView & { payment?: PaymentSummary | null }> {
    await readableHead(this.store, user, orderId, ['owner', 'seller', 'admin']);
    const view = await this.store.getDetail(orderId);
    if (!view) throw orderNotFound(orderId);
    if (user.role !== 'seller' || !user.storeId) return view;
    return { ...storeViewOf(view, user.storeId), payment: await paymentSummaryOf(this.payments, orderId) };
  }
}
