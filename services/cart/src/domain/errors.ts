// The cart's stable error codes, each with its kind (which fixes the HTTP and gRPC status once,
// in the shared mappers). SIZE_NOT_FOUND is 422: the product exists and the request is well
// formed, but it names a size the product does not have.
import { conflict, invalid, notFound, unprocessable, type DomainError } from '@sudamall/shared';
import type { PriceNotShown } from './prices-shown';

export const CartErrors = {
  productNotFound: (productId: string): DomainError => notFound('PRODUCT_NOT_FOUND', `product ${productId} does not exist`, { product_id: productId }),
  productUnavailable: (productId: string): DomainError => conflict('PRODUCT_UNAVAILABLE', `product ${productId} is no longer sold`, { product_id: productId }),
  // 422 like SIZE_NOT_FOUND: the request is well formed; what size it needs depends on the product.
  sizeRequired: (productId: string, sizes: readonly string[]): DomainError =>
    unprocessable('SIZE_REQUIRED', `product ${productId} comes in sizes: choose one`, { product_id: productId, sizes }),
  sizeNotAllowed: (productId: string, size: string): DomainError =>
    unprocessable('SIZE_NOT_ALLOWED', `product ${productId} has no sizes`, { product_id: productId, size }),
  sizeNotFound: (productId: string, size: string, sizes: readonly string[]): DomainError =>
    unprocessable('SIZE_NOT_FOUND', `product ${productId} has no size ${size}`, { product_id: productId, size, sizes }),
  invalidQuantity: (quantity: unknown): DomainError => invalid('INVALID_QUANTITY', 'quantity must be a positive integer', { quantity }),
  insufficientStock: (d: { product_id: string; size: string | null; requested: number; available: number; in_cart: number }): DomainError =>
    conflict('INSUFFICIENT_STOCK', `only ${d.available} available${d.in_cart > 0 ? ` (${d.in_cart} already in the cart)` : ''}`, d),
  itemNotFound: (itemId: string): DomainError => notFound('CART_ITEM_NOT_FOUND', `cart item ${itemId} does not exist`, { cart_item_id: itemId }),
  // 409: nothing is wrong with the request; the cart, as it is now, has nothing to check out.
  cartEmpty: (): DomainError => conflict('CART_EMPTY', 'the cart is empty'),
  idempotencyKeyRequired: (): DomainError => invalid('IDEMPOTENCY_KEY_REQUIRED', 'an Idempotency-Key header is required for checkout'),
  idempotencyKeyReused: (): DomainError => unprocessable('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used for a different checkout request'),
  pricesChanged: (items: readonly PriceNotShown[]): DomainError =>
    conflict('PRICES_CHANGED', 'prices in the cart changed since it was last read: read the cart again, then check out', { items }),
  orderRejected: (orderId: string, shortLines: unknown[]): DomainError =>
    conflict('INSUFFICIENT_STOCK', 'stock could not be reserved for every item', {
      order_id: orderId,
      short_lines: shortLines,
    }),
} as const;
