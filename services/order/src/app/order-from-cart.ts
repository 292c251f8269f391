// POST /api/v1/orders/create/ without items: the spec's "create order from cart". The cart is
// cart's: order does not read it and order it itself (it would have to empty a cart it does not
// own, and would race the buyer's own checkout), it asks cart to check it out, the very use case
// behind POST /carts/checkout/full/, which places the order here through PlaceOrder. The answer,
// its idempotency (a key, or the cart's version without one) and the emptied cart are a
// checkout's.
import { unavailable } from '@sudamall/shared';

export interface CartCheckoutInput {
  userId: string;
  /** Undefined: cart derives the key from the cart's version. */
  idempotencyKey?: string;
  shippingAddress?: string;
  addressId?: string;
  notes?: string;
}

export interface CartCheckoutPort {
  /** Cart's CheckoutCart; cart's errors (CART_EMPTY, PRICES_CHANGED, INSUFFICIENT_STOCK, ...) come back as DomainErrors. */
  checkoutCart(input: CartCheckoutInput): Promise<{ orderId: string; replayed: boolean }>;
}

export class OrderFromCart {
  constructor(private readonly cart: CartCheckoutPort | null) {}

  async execute(input: CartCheckoutInput): Promise<{ orderId: string; replayed: boolean }> {
    if (!this.cart) throw unavailable('CART_UNAVAILABLE', 'the cart service is not configured');
    return this.cart.checkoutCart(input);
  }
}
