import { orderNotFound } from '../domain/errors';
import type { OrderRecord, OrderStore } from '../infra/order-store';

/** The whole order for another service (gRPC GetOrder, PlaceOrder's answer): its callers are trusted. */
export class GetOrderView {
  constructor(private readonly store: OrderStore) {}

  async execute(orderId: string): Promise<OrderRecord> {
    const order = await this.store.getOrder(orderId);
    if (!order) throw orderNotFound(orderId);
    return order;
  }
}
