import type { AuthUser } from '@sudamall/shared';
import type { OrderDetailRecord, OrderStore } from '../infra/order-store';
import type { PaymentStatusPort } from './catalog';
import { readableHead } from './order-access';
import { paymentSummaryOf, type PaymentSummary } from './payment-summary';

/** An order as one reader reads it: `storeId` set when a seller is shown only their store's part. */
export interface OrderRead {
  order: OrderDetailRecord;
  storeId: string | null;
  /** For a seller: how the buyer pays and where that stands (null when payment cannot say). */
  payment?: PaymentSummary | null;
}

/**
 * The order as its reader may see it: its buyer and admins all of it, a seller only their
 * store's part (domain/order-listing.ts storeViewOf), with how the buyer pays (asked of payment).
 */
export class GetOrder {
  constructor(
    private readonly store: OrderStore,
    private readonly payments: PaymentStatusPort | null,
  ) {}

  async execute(user: AuthUser, orderId: string): Promise<OrderRead> {
    // The whole order is one statement: read it first and check access on it (a head read before
    // it was one more round trip on every create's answer).
    const order = await readableHead({ head: (id) => this.store.getDetail(id) }, user, orderId, ['owner', 'seller', 'admin']);
    if (user.role !== 'seller' || !user.storeId) return { order, storeId: null };
    return { order, storeId: user.storeId, payment: await paymentSummaryOf(this.payments, orderId) };
  }
}
