import { orderNotFound } from '../domain/errors';
import { notPayableReason } from '../domain/payment-deadline';
import type { OrderHeadRow, OrderStore } from '../infra/order-store';
import type { Clock } from './ports';

/** For the payment service: can this order be charged now (`reason` '' when it can), and how much. */
export class GetOrderForPayment {
  constructor(
    private readonly store: OrderStore,
    private readonly clock: Clock,
  ) {}

  async execute(orderId: string): Promise<{ order: OrderHeadRow; reason: ReturnType<typeof notPayableReason> }> {
    const order = await this.store.head(orderId);
    if (!order) throw orderNotFound(orderId);
    return { order, reason: notPayableReason(order, this.clock.now()) };
  }
}
