import type { AuthUser } from '@sudamall/shared';
import { paymentWindowOf, type PaymentWindowState } from '../domain/payment-deadline';
import type { OrderHeadRow, OrderStore } from '../infra/order-store';
import { readableHead } from './order-access';
import type { Clock } from './ports';

/** The payment window as the buyer's countdown shows it (its buyer, admins). */
export class GetPaymentWindow {
  constructor(
    private readonly store: OrderStore,
    private readonly clock: Clock,
  ) {}

  async execute(user: AuthUser, orderId: string): Promise<{ order: OrderHeadRow; window: PaymentWindowState }> {
    const order = await readableHead(this.store, user, orderId, ['owner', 'admin']);
    return { order, window: paymentWindowOf(order, this.clock.now()) };
  }
}
