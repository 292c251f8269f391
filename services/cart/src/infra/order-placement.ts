// OrderPlacementPort over order's gRPC PlaceOrder.
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { order as orderProto } from '@sudamall/proto';
import { callUnary, money, unavailable } from '@sudamall/shared';
import type { OrderPlacementPort, PlaceOrderCommand, PlacedOrder } from '../app/ports';

export class GrpcOrderPlacement implements OrderPlacementPort {
  private readonly client: orderProto.OrderServiceClient;

  constructor(
    url: string,
    private readonly deadlineMs: number,
    creds: ChannelCredentials = credentials.createInsecure(),
  ) {
    this.client = new orderProto.OrderServiceClient(url, creds);
  }

  async placeOrder(cmd: PlaceOrderCommand): Promise<PlacedOrder> {
    const res = await callUnary(
      this.client.placeOrder.bind(this.client),
      {
        idempotencyKey: cmd.idempotencyKey,
        userId: cmd.userId,
        items: cmd.lines.map((l) => ({ productId: l.productId, size: l.size, quantity: l.quantity })),
        shippingAddress: cmd.shippingAddress,
        ...(cmd.addressId ? { addressId: cmd.addressId } : {}),
        notes: cmd.notes,
        waitMs: cmd.waitMs,
      },
      // The call may wait waitMs for the reservation outcome on order's side.
      { deadlineMs: this.deadlineMs + cmd.waitMs },
    );
    if (!res.order) throw unavailable('UPSTREAM_INVALID', 'order answered PlaceOrder without an order');
    return toPlacedOrder(res.order);
  }

  close(): void {
    this.client.close();
  }
}

export function toPlacedOrder(o: orderProto.Order): PlacedOrder {
  return {
    orderId: o.orderId,
    status: o.status,
    totalAmount: money(o.totalAmount || '0'),
    paymentExpiresAt: o.paymentExpiresAt || null,
    cancelReason: o.cancelReason || null,
    items: o.items.map((i) => ({
      productId: i.productId,
      productName: i.productName,
      size: i.size,
      quantity: i.quantity,
      price: money(i.price || '0'),
    })),
    shortLines: o.shortLines.map((s) => ({
      product_id: s.productId,
      size: s.size || null,
      requested: s.requested,
      available: s.available,
      code: s.code,
    })),
  };
}
