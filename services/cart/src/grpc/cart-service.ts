// CartService over gRPC, typed by the generated server interface (a missing RPC fails to compile).
import type { cart } from '@sudamall/proto';
import { formatMoney, grpcHandler, invalid } from '@sudamall/shared';
import type { CartUseCases } from '../container';

export function cartServiceImplementation(useCases: Pick<CartUseCases, 'getCart' | 'checkout'>): cart.CartServiceServer {
  return {
    // Order's "create order from cart": the same use case as POST /carts/checkout/full/, so the
    // answer, the idempotency and the emptied cart are exactly a checkout's.
    checkoutCart: grpcHandler<cart.CheckoutCartRequest, cart.CheckoutCartResponse>(async (request) => {
      if (!request.userId) throw invalid('VALIDATION_FAILED', 'user_id is required', { errors: [{ path: 'user_id', message: 'is required' }] });
      const outcome = await useCases.checkout.full({
        userId: request.userId,
        idempotencyKey: request.idempotencyKey || undefined,
        shippingAddress: request.shippingAddress || undefined,
        addressId: request.addressId || undefined,
        notes: request.notes || undefined,
      });
      return { orderId: outcome.body.order_id, status: outcome.body.status, replayed: outcome.replayed };
    }),
    getCart: grpcHandler<cart.GetCartRequest, cart.GetCartResponse>(async (request) => {
      if (!request.userId) throw invalid('VALIDATION_FAILED', 'user_id is required', { errors: [{ path: 'user_id', message: 'is required' }] });
      // A peer reading the cart must not consume the buyer's pending change notices.
      const view = await useCases.getCart.execute(request.userId, { takeChanges: false });
      return {
        userId: view.userId,
        items: view.items.map((i) => ({
          itemId: i.id,
          productId: i.productId,
          productName: i.productName,
          size: i.size,
          quantity: i.quantity,
          priceWhenAdded: formatMoney(i.priceWhenAdded),
          currentPrice: formatMoney(i.currentPrice),
          subtotal: formatMoney(i.subtotal),
        })),
        total: formatMoney(view.total),
        itemCount: view.itemCount,
      };
    }),
  };
}
