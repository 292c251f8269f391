import { grpcHandler, invalid } from '@sudamall/shared';
import type { order as pb } from '@sudamall/proto';
import type { GetOrderForPayment } from '../app/get-order-for-payment';
import type { GetOrderView } from '../app/get-order-view';
import type { PlaceOrder } from '../app/place-order';
import { presentOrder, type OrderView } from '../http/presenters';

const MAX_WAIT_MS = 30_000;

export function toProtoOrder(v: OrderView): pb.Order {
  return {
    orderId: v.order_id,
    userId: v.user_id,
    status: v.status,
    totalAmount: v.total_amount,
    shippingAddress: v.shipping_address,
    notes: v.notes,
    paymentExpiresAt: v.payment_expires_at ?? '',
    cancelReason: v.cancel_reason ?? '',
    createdAt: v.created_at,
    updatedAt: v.updated_at,
    items: v.items.map((it) => ({
      itemId: it.item_id,
      productId: it.product_id,
      size: it.size ?? '',
      quantity: it.quantity,
      price: it.price,
      snapshotId: it.snapshot_id,
      productName: it.product_name,
      storeId: it.store_id,
    })),
    shortLines: v.short_lines.map((l) => ({
      lineId: l.line_id,
      productId: l.product_id,
      size: l.size ?? '',
      requested: l.requested,
      available: l.available,
      code: l.code,
    })),
  };
}

/** OrderService over gRPC: thin handlers over the use cases, typed by the generated interface. */
export function orderGrpcService(deps: { placeOrder: PlaceOrder; getOrderView: GetOrderView; getOrderForPayment: GetOrderForPayment }): pb.OrderServiceServer {
  const view = async (orderId: string) => presentOrder(await deps.getOrderView.execute(orderId));
  return {
    placeOrder: grpcHandler(async (req: pb.PlaceOrderRequest) => {
      if (!req.userId) throw invalid('USER_ID_REQUIRED', 'user_id is required');
      const { orderId, replayed } = await deps.placeOrder.execute({
        userId: req.userId,
        idempotencyKey: req.idempotencyKey,
        items: req.items.map((i) => ({ productId: i.productId, quantity: i.quantity, size: i.size || null })),
        shippingAddress: req.shippingAddress,
        addressId: req.addressId || undefined,
        notes: req.notes,
        waitMs: Math.min(Math.max(0, req.waitMs), MAX_WAIT_MS),
      });
      return { order: toProtoOrder(await view(orderId)), replayed };
    }),
    getOrder: grpcHandler(async (req: pb.GetOrderRequest) => ({ order: toProtoOrder(await view(req.orderId)) })),
    getOrderForPayment: grpcHandler(async (req: pb.GetOrderForPaymentRequest) => {
      const { order, reason } = await deps.getOrderForPayment.execute(req.orderId);
      return {
        orderId: order.id,
        userId: order.userId,
        status: order.status,
        totalAmount: order.totalAmount,
        paymentExpiresAt: order.paymentExpiresAt ? order.paymentExpiresAt.toISOString() : '',
        payable: reason === '',
        reason,
        storeIds: order.storeIds,
      };
    }),
  };
}
