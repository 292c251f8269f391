// CartService over gRPC, typed by the generated server interface (a missing RPC fails to compile).
import { cart } from '@sudamall/proto';
import { formatMoney, grpcHandler, invalid } from '@sudamall/shared';
import type { CartUseCases } from '../container';

export function cartServiceImplementation(useCases: Pick<CartUseCases, 'getCart'>): cart.CartServiceServer {
  return {
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
