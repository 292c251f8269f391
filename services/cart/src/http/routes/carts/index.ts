// /api/v1/carts/*: the buyer's own cart. Every route needs a buyer's token (other roles: 403),
// and the cart is always the token subject's, so one buyer can neither see nor change another's items.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CartUseCases } from '../../../container';
import { presentCart, presentItem } from '../../presenters';
import {
  AddBody,
  Cart,
  CartItem,
  CheckoutHeaders,
  CheckoutResponse,
  Cleared,
  CountResponse,
  ErrorResponse,
  FullCheckoutBody,
  ItemParams,
  Removed,
  SingleCheckoutBody,
  UpdateBody,
  ValidationResponse,
} from './schemas';
import { Type } from '@sinclair/typebox';

const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse, 503: ErrorResponse };
const security = [{ bearerAuth: [] }];

export const cartRoutes: FastifyPluginAsyncTypebox<{ useCases: CartUseCases }> = async (app, { useCases }) => {
  app.addHook('preHandler', app.requireRole('buyer'));

  app.get(
    '/',
    {
      schema: {
        tags: ['cart'],
        operationId: 'getCart',
        summary: 'The cart, with the changes found since the buyer last looked',
        security,
        response: { 200: Cart, ...errors },
      },
    },
    async (request) => presentCart(await useCases.getCart.execute(request.user.id, { takeChanges: true })),
  );

  app.get(
    '/count/',
    {
      schema: { tags: ['cart'], operationId: 'countCartItems', summary: 'Sum of quantities', security, response: { 200: CountResponse, ...errors } },
    },
    async (request) => ({ count: await useCases.getCart.count(request.user.id) }),
  );

  app.post(
    '/add/',
    {
      schema: {
        tags: ['cart'],
        operationId: 'addCartItem',
        summary: 'Adds a product (and size); adding what is already there raises its quantity',
        security,
        body: AddBody,
        response: { 200: CartItem, 201: CartItem, ...errors },
      },
    },
    async (request, reply) => {
      const { item, created } = await useCases.addItem.execute({
        userId: request.user.id,
        productId: request.body.product_id,
        quantity: request.body.quantity,
        size: request.body.size,
      });
      return reply.status(created ? 201 : 200).send(presentItem(item));
    },
  );

  app.put(
    '/update/:cart_item_id/',
    {
      schema: {
        tags: ['cart'],
        operationId: 'updateCartItem',
        summary: 'Sets an item quantity; 0 removes the item',
        security,
        params: ItemParams,
        body: UpdateBody,
        response: { 200: Type.Union([CartItem, Removed]), ...errors },
      },
    },
    async (request) => {
      const result = await useCases.updateItem.execute(request.user.id, request.params.cart_item_id, request.body.quantity);
      return result.removed ? { removed: true as const, id: result.itemId } : presentItem(result.item);
    },
  );

  app.delete(
    '/remove/:cart_item_id/',
    {
      schema: {
        tags: ['cart'],
        operationId: 'removeCartItem',
        summary: 'Removes one item',
        security,
        params: ItemParams,
        response: { 200: Removed, ...errors },
      },
    },
    async (request) => {
      await useCases.removeItem.execute(request.user.id, request.params.cart_item_id);
      return { removed: true as const, id: request.params.cart_item_id };
    },
  );

  app.delete(
    '/clear/',
    {
      schema: { tags: ['cart'], operationId: 'clearCart', summary: 'Empties the cart', security, response: { 200: Cleared, ...errors } },
    },
    async (request) => ({ cleared: true as const, removed_items: await useCases.clearCart.execute(request.user.id) }),
  );

  app.post(
    '/validate/',
    {
      schema: {
        tags: ['cart'],
        operationId: 'validateCart',
        summary: 'Checks every item against live stock and price, applies the fixes and reports them',
        security,
        response: { 200: ValidationResponse, ...errors },
      },
    },
    async (request) => {
      const result = await useCases.validateCart.execute(request.user.id);
      const { changes: _shownAbove, ...cart } = presentCart(result.cart);
      return { ...result, cart };
    },
  );

  app.post(
    '/checkout/full/',
    {
      schema: {
        tags: ['checkout'],
        operationId: 'checkoutCart',
        summary: 'Checks out the whole cart (Idempotency-Key header optional)',
        security,
        headers: CheckoutHeaders,
        body: FullCheckoutBody,
        response: { 201: CheckoutResponse, ...errors },
      },
    },
    async (request, reply) => {
      const outcome = await useCases.checkout.full({
        userId: request.user.id,
        idempotencyKey: request.headers['idempotency-key'],
        shippingAddress: request.body.shipping_address,
        addressId: request.body.address_id,
        notes: request.body.notes,
      });
      if (outcome.replayed) reply.header('idempotent-replayed', 'true');
      return reply.status(outcome.statusCode).send(outcome.body);
    },
  );

  app.post(
    '/checkout/single/',
    {
      schema: {
        tags: ['checkout'],
        operationId: 'checkoutSingleProduct',
        summary: 'Buys one product directly, leaving the cart alone (Idempotency-Key header optional)',
        security,
        headers: CheckoutHeaders,
        body: SingleCheckoutBody,
        response: { 201: CheckoutResponse, ...errors },
      },
    },
    async (request, reply) => {
      const outcome = await useCases.checkout.single({
        userId: request.user.id,
        idempotencyKey: request.headers['idempotency-key'],
        productId: request.body.product_id,
        quantity: request.body.quantity,
        size: request.body.size,
        shippingAddress: request.body.shipping_address,
        addressId: request.body.address_id,
        notes: request.body.notes,
      });
      if (outcome.replayed) reply.header('idempotent-replayed', 'true');
      return reply.status(outcome.statusCode).send(outcome.body);
    },
  );
};
