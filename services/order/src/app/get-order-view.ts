import { orderNotFound } from '../domain/errors';
import type { OrderStore, OrderView } from '../infra/order-store';

/** The whole order for another service (gRPC GetOrder, PlaceOrder's answer): its callers are trusted. */
export class GetOrderView {
  constructor(private readonly store: OrderStore) {}

  async execute(orderId: string): Promise<OrderView> {
    const view = await this.store.getView(orderId);
    if (!view) throw orderNotFound(orderId);
    return view;
  }
}
