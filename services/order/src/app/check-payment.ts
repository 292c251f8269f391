import type { AuthUser } from '@sudamall/shared';
import { paymentWindowOf, type PaymentWindowState } from '../domain/payment-deadline';
import type { OrderHeadRow, OrderStore } from '../infra/order-store';
import type { PaymentStatusPort } from './catalog';
import { readableHead } from './order-access';
import type { Clock } from './ports';

export type PaymentStatus = NonNullable<Awaited<ReturnType<PaymentStatusPort['getPaymentStatus']>>>;

export interface PaymentCheck {
  order: OrderHeadRow;
  window: PaymentWindowState;
  /** Paid by the order's own status, or by what payment says. */
  paid: boolean;
  paymentService: 'ok' | 'unavailable';
  payment: PaymentStatus | null;
}

/** Order status beside the payment service's view; degrades to `payment_service: "unavailable"`. */
export class CheckPayment {
  constructor(
    private readonly store: OrderStore,
    private readonly clock: Clock,
    private readonly payments: PaymentStatusPort | null,
  ) {}

  async execute(user: AuthUser, orderId: string): Promise<PaymentCheck> {
    const order = await readableHead(this.store, user, orderId, ['owner', 'admin']);
    const window = paymentWindowOf(order, this.clock.now());
    let payment: PaymentStatus | null = null;
    let paymentService: 'ok' | 'unavailable' = 'ok';
    if (!this.payments) paymentService = 'unavailable';
    else {
      try {
        payment = await this.payments.getPaymentStatus(orderId);
      } catch {
        paymentService = 'unavailable';
      }
    }
    const paid = ['processing', 'shipped', 'delivered'].includes(order.status) || payment?.status === 'completed';
    return { order, window, paid, paymentService, payment };
  }
}
