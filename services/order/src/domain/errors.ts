import { conflict, forbidden, invalid, notFound, unprocessable } from '@sudamall/shared';

// The order service's own error codes, in one place so HTTP and gRPC callers see the same ones.
export const orderNotFound = (orderId: string) => notFound('ORDER_NOT_FOUND', `order ${orderId} does not exist`, { order_id: orderId });
export const orderForbidden = (orderId: string) => forbidden('FORBIDDEN', `you may not access order ${orderId}`, { order_id: orderId });
export const productNotFound = (missing: string[]) => notFound('PRODUCT_NOT_FOUND', `unknown product(s): ${missing.join(', ')}`, { missing_ids: missing });
export const productUnavailable = (productId: string) =>
  unprocessable('PRODUCT_UNAVAILABLE', `product ${productId} is no longer sold`, { product_id: productId });
export const sizeRequired = (productId: string) => invalid('SIZE_REQUIRED', `product ${productId} is sold in sizes: choose one`, { product_id: productId });
export const sizeNotAllowed = (productId: string, size: string) =>
  invalid('SIZE_NOT_ALLOWED', `product ${productId} has no sizes`, { product_id: productId, size });
export const sizeNotFound = (productId: string, size: string, sizes: string[]) =>
  notFound('SIZE_NOT_FOUND', `product ${productId} has no size ${size}`, { product_id: productId, size, sizes });
export const orderBeingConfirmed = (orderId: string) =>
  conflict('ORDER_BEING_CONFIRMED', `order ${orderId} is paid and its stock is being confirmed; it can no longer be cancelled`, {
    order_id: orderId,
  });

export const adminFilterOnly = (filter: string) => forbidden('ADMIN_FILTER_ONLY', `only admins may filter orders by ${filter}`, { filter });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Order ids are UUIDs; anything else names no order (404, never a database error). */
export const isUuid = (s: string) => UUID.test(s);
