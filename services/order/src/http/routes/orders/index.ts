import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { randomUUID } from 'node:crypto';
import { conflict, instantOf, unprocessable, type AuthUser } from '@sudamall/shared';
import { returnNotFound } from '../../../app/return-answer';
import type { OrderUseCases } from '../../../container';
import { adminFilterOnly } from '../../../domain/errors';
import {
  presentAdjustment,
  presentOrderPage,
  presentOrderRead,
  presentPaymentCheck,
  presentPaymentWindow,
  presentReturn,
  presentSagaPage,
} from '../../presenters';
import {
  AdjustmentIdParams,
  AdjustmentListQuery,
  AdjustmentPage,
  AdjustmentSchema,
  ApproveReturnBody,
  CancelBody,
  CreateReturnBody,
  FulfillmentParams,
  RefuseDeliveryBody,
  RejectReturnBody,
  ReturnIdParams,
  ReturnList,
  ReturnSchema,
  CheckPaymentSchema,
  CreateOrderBody,
  ErrorResponse,
  IdempotencyHeaders,
  ListOrdersQuery,
  OrderDetailSchema,
  OrderIdParams,
  OrderPage,
  PaymentWindowSchema,
  SagaList,
  SagaListQuery,
  StatusChanged,
  UpdateStatusBody,
} from './schemas';
import { Type } from '@sinclair/typebox';

const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };
const security = [{ bearerAuth: [] }];

/** /api/v1/orders/...: each route validates, calls one use case, shapes the answer. */
export const orderRoutes: FastifyPluginAsyncTypebox<{ useCases: OrderUseCases }> = async (app, { useCases: uc }) => {
  const buyer = app.requireRole('buyer');
  const admin = app.requireRole('admin');
  const anyone = app.authenticate;

  app.get(
    '/',
    {
      preHandler: anyone,
      schema: {
        tags: ['orders'],
        operationId: 'listOrders',
        summary: "Find orders: a buyer's own, a seller's store's (its part of each), every order for admins",
        description:
          "Buyers see their orders, sellers every order with an item of their store (only that store's lines, and its part as total_amount), " +
          'admins every order, narrowed with store_id / user_id (403 ADMIN_FILTER_ONLY for anyone else). Newest first unless sorted.',
        security,
        querystring: ListOrdersQuery,
        response: { 200: OrderPage, ...errors, 422: { ...ErrorResponse, description: 'INVALID_DATE: created_after / created_before is no date' } },
      },
    },
    async (req) => {
      const { status, created_after, created_before, sort, store_id, user_id, page, page_size } = req.query;
      if (req.user.role !== 'admin' && store_id !== undefined) throw adminFilterOnly('store_id');
      if (req.user.role !== 'admin' && user_id !== undefined) throw adminFilterOnly('user_id');
      const { items, total } = presentOrderPage(
        await uc.listOrders.execute(req.user, {
          status,
          createdAfter: instantOf('created_after', created_after),
          createdBefore: instantOf('created_before', created_before),
          sort,
          userId: user_id,
          storeId: store_id,
          page,
          pageSize: page_size,
        }),
      );
      return { items, total, page, page_size };
    },
  );

  app.post(
    '/create/',
    {
      preHandler: buyer,
      schema: {
        tags: ['orders'],
        operationId: 'createOrder',
        summary: "Place an order and reserve its stock, from the given items or from the buyer's cart (buyers; Idempotency-Key optional)",
        description:
          '201: placed, stock reserved, payment window open. 200: a retry with the same Idempotency-Key replays the first answer. ' +
          "Without items the order is created from the buyer's cart: the cart's full checkout (POST /api/v1/carts/checkout/full), which empties it; " +
          "its errors are the checkout's (409 CART_EMPTY, 409 PRICES_CHANGED, 409 INSUFFICIENT_STOCK).",
        security,
        headers: IdempotencyHeaders,
        body: CreateOrderBody,
        response: {
          200: OrderDetailSchema,
          201: OrderDetailSchema,
          ...errors,
          409: {
            ...ErrorResponse,
            description:
              'INSUFFICIENT_STOCK: some lines could not be reserved (`details.short_lines`); the order was cancelled. PRICES_CHANGED (from the cart): a price changed since the buyer last read the cart',
          },
          422: {
            ...ErrorResponse,
            description:
              'PRODUCT_UNAVAILABLE: a product is no longer sold; SHIPPING_ADDRESS_OR_ADDRESS_ID: not exactly one of shipping_address and address_id; PAYMENT_WINDOW_NEEDS_ITEMS: payment_window_seconds without items',
          },
        },
      },
    },
    async (req, reply) => {
      const key = req.headers['idempotency-key']?.trim() || undefined;
      if (!req.body.items) {
        if (req.body.payment_window_seconds !== undefined) {
          // 422 like SHIPPING_ADDRESS_OR_ADDRESS_ID: two well-formed fields that do not go together.
          throw unprocessable('PAYMENT_WINDOW_NEEDS_ITEMS', 'payment_window_seconds is accepted only with items (not for an order from the cart)');
        }
        const fromCart = await uc.orderFromCart.execute({
          userId: req.user.id,
          idempotencyKey: key,
          shippingAddress: req.body.shipping_address,
          addressId: req.body.address_id,
          notes: req.body.notes,
        });
        return reply.code(fromCart.replayed ? 200 : 201).send(await orderFor(req.user, fromCart.orderId));
      }
      const { orderId, replayed } = await uc.placeOrder.execute({
        userId: req.user.id,
        // Without a key, as in Stripe's API, a create with items is not deduplicated.
        idempotencyKey: key ?? `no-key:${randomUUID()}`,
        items: req.body.items.map((i) => ({ productId: i.product_id, quantity: i.quantity, size: i.size ?? null })),
        shippingAddress: req.body.shipping_address,
        addressId: req.body.address_id,
        notes: req.body.notes,
        paymentWindowSeconds: req.body.payment_window_seconds,
        waitMs: uc.placeOrderWaitMs,
      });
      const order = await orderFor(req.user, orderId);
      if (order.status === 'cancelled' && order.cancel_reason === 'insufficient_stock') {
        throw conflict('INSUFFICIENT_STOCK', 'some items could not be reserved; the order was cancelled', {
          order_id: order.order_id,
          short_lines: order.short_lines,
        });
      }
      return reply.code(replayed ? 200 : 201).send(order);
    },
  );

  app.get(
    '/payment-status/:order_id/',
    {
      preHandler: anyone,
      schema: {
        tags: ['orders'],
        operationId: 'getOrderPaymentWindow',
        summary: "The order's payment window: when it closes, seconds left",
        security,
        params: OrderIdParams,
        response: { 200: PaymentWindowSchema, ...errors },
      },
    },
    async (req) => {
      const { order, window } = await uc.getPaymentWindow.execute(req.user, req.params.order_id);
      return presentPaymentWindow(order, window);
    },
  );

  app.get(
    '/check-payment/:order_id/',
    {
      preHandler: anyone,
      schema: {
        tags: ['orders'],
        operationId: 'checkOrderPayment',
        summary: "The order's payment as the payment service sees it (`payment_service: unavailable` when it cannot be asked)",
        security,
        params: OrderIdParams,
        response: { 200: CheckPaymentSchema, ...errors },
      },
    },
    async (req) => presentPaymentCheck(await uc.checkPayment.execute(req.user, req.params.order_id)),
  );

  app.post(
    '/admin/cleanup/expired/',
    {
      preHandler: admin,
      schema: {
        tags: ['admin'],
        operationId: 'expireOverdueOrders',
        summary: 'Cancel every order past its payment window now (admins)',
        security,
        response: { 200: Type.Object({ expired: Type.Integer() }), ...errors },
      },
    },
    async () => ({ expired: await uc.expireOverduePayments.execute() }),
  );

  app.get(
    '/admin/expired-count/',
    {
      preHandler: admin,
      schema: {
        tags: ['admin'],
        operationId: 'countOverdueOrders',
        summary: 'How many orders are past their payment window (admins)',
        security,
        response: { 200: Type.Object({ count: Type.Integer() }), ...errors },
      },
    },
    async () => ({ count: await uc.countOverdueOrders.execute() }),
  );

  app.post(
    '/admin/trigger-cleanup-task/',
    {
      preHandler: admin,
      schema: {
        tags: ['admin'],
        operationId: 'triggerOrderCleanup',
        summary: 'Start the overdue-order clean-up in the background and answer at once (admins)',
        security,
        response: { 202: Type.Object({ status: Type.Literal('accepted'), task: Type.String() }), ...errors },
      },
    },
    async (req, reply) => {
      // Runs after the answer; the sweeper's own row locks make it safe beside the periodic run.
      setImmediate(() => {
        uc.expireOverduePayments.execute().then(
          (n) => req.log.info({ expired: n }, 'clean-up task finished'),
          (err: unknown) => req.log.error({ err }, 'clean-up task failed'),
        );
      });
      return reply.code(202).send({ status: 'accepted', task: 'expire_overdue_orders' });
    },
  );

  app.get(
    '/admin/sagas/',
    {
      preHandler: admin,
      schema: {
        tags: ['admin'],
        operationId: 'listSagas',
        summary: 'Checkout sagas by state, stuck or older than a given age (admins)',
        security,
        querystring: SagaListQuery,
        response: { 200: SagaList, ...errors },
      },
    },
    async (req) => {
      const { state, stuck, older_than_seconds, page, page_size } = req.query;
      const r = presentSagaPage(await uc.listSagas.execute({ state, stuck, olderThanSeconds: older_than_seconds, page, pageSize: page_size }));
      return { ...r, page, page_size };
    },
  );

  app.get(
    '/:order_id/',
    {
      preHandler: anyone,
      schema: {
        tags: ['orders'],
        operationId: 'getOrder',
        summary: 'One order with its items, status history and saga (its buyer, a seller of a store in it, admins)',
        security,
        params: OrderIdParams,
        response: { 200: OrderDetailSchema, ...errors },
      },
    },
    async (req) => orderFor(req.user, req.params.order_id),
  );

  app.put(
    '/:order_id/status/',
    {
      preHandler: app.requireRole('seller', 'admin'),
      schema: {
        tags: ['orders'],
        operationId: 'updateOrderStatus',
        summary: "Move a store's part of an order on: processing → shipped → delivered (a seller their store's, admins every open one)",
        description:
          "A seller moves only their store's fulfilment, an admin every fulfilment that can make the move. The order's status follows: " +
          'shipped once every fulfilment not cancelled is shipped or delivered, delivered once all are delivered. `cancelled` cancels an unpaid order (its saga releases the stock).',
        security,
        params: OrderIdParams,
        body: UpdateStatusBody,
        response: {
          200: StatusChanged,
          ...errors,
          409: { ...ErrorResponse, description: "INVALID_STATUS_TRANSITION: the store's part (or the order) cannot go from its status to the one asked" },
        },
      },
    },
    async (req) => {
      const { status: to, notes, tracking_number } = req.body;
      const status = await uc.updateOrderStatus.execute(req.user, req.params.order_id, to, { notes, trackingNumber: tracking_number });
      return { order_id: req.params.order_id, status, order: await orderFor(req.user, req.params.order_id) };
    },
  );

  app.post(
    '/:order_id/cancel/',
    {
      preHandler: app.requireRole('buyer', 'seller', 'admin'),
      schema: {
        tags: ['orders'],
        operationId: 'cancelOrder',
        summary: 'Cancel an order (before payment: its buyer, a seller of a store in it, admins) or, after payment, the whole order or a seller’s own part',
        description:
          'Before payment the stock is released and the payment voided (200). After payment (202) a cancellation saga refunds the cancelled part ' +
          'through the payment gateway (a part: its lines plus its share of the fee; the whole order: everything the buyer paid), returns its units ' +
          'to available, then marks its fulfilments (and, when all are, the order) cancelled; the order shows `cancellation` meanwhile. ' +
          'A buyer cancels the whole order while nothing has shipped, an admin while nothing is delivered, a seller only their store’s part while it is processing.',
        security,
        params: OrderIdParams,
        body: CancelBody,
        response: {
          200: StatusChanged,
          202: StatusChanged,
          ...errors,
          409: {
            ...ErrorResponse,
            description:
              'The order can no longer be cancelled (ORDER_BEING_CONFIRMED, INVALID_STATUS_TRANSITION, CANCELLATION_NOT_ALLOWED, CANCELLATION_IN_PROGRESS)',
          },
          503: { ...ErrorResponse, description: 'PAYMENT_SERVICE_UNAVAILABLE: what was paid cannot be read now (after payment only)' },
        },
      },
    },
    async (req, reply) => {
      const outcome = await uc.cancelOrder.execute(req.user, req.params.order_id, req.body?.reason);
      const order = await orderFor(req.user, req.params.order_id);
      if (outcome.kind === 'cancelled') return { order_id: req.params.order_id, status: outcome.status, order };
      return reply.code(202).send({ order_id: req.params.order_id, status: order.status, order });
    },
  );

  app.post(
    '/:order_id/returns/',
    {
      preHandler: buyer,
      schema: {
        tags: ['returns'],
        operationId: 'requestReturn',
        summary: 'Ask to return delivered items of one store, within the return window (the order’s buyer)',
        description:
          'Items of one store whose part is delivered, within RETURN_WINDOW_DAYS of its delivery; never more units of a line than bought, ' +
          'less those already returned or being returned. The store’s seller (or an admin) approves or rejects it.',
        security,
        params: OrderIdParams,
        body: CreateReturnBody,
        response: {
          201: ReturnSchema,
          ...errors,
          409: { ...ErrorResponse, description: 'RETURN_NOT_DELIVERED, RETURN_WINDOW_CLOSED, RETURN_EXCEEDS_PURCHASE (details: bought, returnable)' },
          422: { ...ErrorResponse, description: 'RETURN_ITEM_UNKNOWN, RETURN_SPANS_STORES' },
        },
      },
    },
    async (req, reply) => {
      const id = await uc.requestReturn.execute(req.user, req.params.order_id, req.body);
      return reply.code(201).send(await returnOf(req.user, req.params.order_id, id));
    },
  );

  app.get(
    '/:order_id/returns/',
    {
      preHandler: anyone,
      schema: {
        tags: ['returns'],
        operationId: 'listReturns',
        summary: "The order's returns, oldest first (its buyer and admins; a seller their store's)",
        security,
        params: OrderIdParams,
        response: { 200: ReturnList, ...errors },
      },
    },
    async (req) => ({ items: (await uc.listReturns.execute(req.user, req.params.order_id)).map(presentReturn) }),
  );

  app.post(
    '/:order_id/returns/:return_id/approve/',
    {
      preHandler: app.requireRole('seller', 'admin'),
      schema: {
        tags: ['returns'],
        operationId: 'approveReturn',
        summary: 'Approve a return: refund its lines and their share of the fee, and with restock put the units back (its store’s seller, admins)',
        security,
        params: ReturnIdParams,
        body: ApproveReturnBody,
        response: {
          202: ReturnSchema,
          ...errors,
          409: { ...ErrorResponse, description: 'RETURN_ALREADY_ANSWERED' },
          503: { ...ErrorResponse, description: 'PAYMENT_SERVICE_UNAVAILABLE: what was paid cannot be read now' },
        },
      },
    },
    async (req, reply) => {
      await uc.approveReturn.execute(req.user, req.params.order_id, req.params.return_id, req.body.restock);
      return reply.code(202).send(await returnOf(req.user, req.params.order_id, req.params.return_id));
    },
  );

  app.post(
    '/:order_id/returns/:return_id/reject/',
    {
      preHandler: app.requireRole('seller', 'admin'),
      schema: {
        tags: ['returns'],
        operationId: 'rejectReturn',
        summary: 'Reject a return, saying why (its store’s seller, admins)',
        security,
        params: ReturnIdParams,
        body: RejectReturnBody,
        response: { 200: ReturnSchema, ...errors, 409: { ...ErrorResponse, description: 'RETURN_ALREADY_ANSWERED' } },
      },
    },
    async (req) => {
      await uc.rejectReturn.execute(req.user, req.params.order_id, req.params.return_id, req.body.reason);
      return returnOf(req.user, req.params.order_id, req.params.return_id);
    },
  );

  app.get(
    '/admin/adjustments/',
    {
      preHandler: admin,
      schema: {
        tags: ['admin'],
        operationId: 'listAdjustments',
        summary: 'Cancellations after payment and returns, newest first: stuck, open, by kind (admins; the saga dashboard lists the stuck ones)',
        security,
        querystring: AdjustmentListQuery,
        response: { 200: AdjustmentPage, ...errors },
      },
    },
    async (req) => {
      const { stuck, open, kind, page, page_size } = req.query;
      const r = await uc.listAdjustments.execute({ stuck, open, kind, page, pageSize: page_size });
      return { items: r.items.map(presentAdjustment), total: r.total, page, page_size };
    },
  );

  app.post(
    '/admin/adjustments/:adjustment_id/retry/',
    {
      preHandler: admin,
      schema: {
        tags: ['admin'],
        operationId: 'retryAdjustment',
        summary: "Re-send a running cancellation's or return's command now (a refund the gateway refused gets a new attempt) (admins)",
        security,
        params: AdjustmentIdParams,
        response: {
          202: AdjustmentSchema,
          ...errors,
          409: { ...ErrorResponse, description: 'ADJUSTMENT_NOT_RUNNING: completed or rejected, nothing to retry' },
        },
      },
    },
    async (req, reply) => {
      await uc.retryAdjustment.execute(req.params.adjustment_id, { id: req.user.id, role: 'admin' });
      const { items } = await uc.listAdjustments.execute({ id: req.params.adjustment_id, page: 1, pageSize: 1 });
      return reply.code(202).send(items.map(presentAdjustment)[0]);
    },
  );

  app.post(
    '/:order_id/fulfillments/:store_id/collect/',
    {
      preHandler: app.requireRole('seller', 'admin'),
      schema: {
        tags: ['fulfillments'],
        operationId: 'collectCashOnDelivery',
        summary: "Cash on delivery: deliver the store's part and take its cash in one step (that store's seller, admins)",
        description:
          "The store's part (shipped) becomes delivered with its cash collected (its lines plus its share of the fee); once every part not cancelled " +
          'is collected, the payment completes for what was collected.',
        security,
        params: FulfillmentParams,
        response: {
          200: StatusChanged,
          ...errors,
          409: { ...ErrorResponse, description: 'NOT_CASH_ON_DELIVERY, NOT_COLLECTABLE (not shipped), ALREADY_COLLECTED, CANCELLATION_IN_PROGRESS' },
          503: { ...ErrorResponse, description: 'PAYMENT_SERVICE_UNAVAILABLE' },
        },
      },
    },
    async (req) => {
      const status = await uc.collectCash.execute(req.user, req.params.order_id, req.params.store_id);
      return { order_id: req.params.order_id, status, order: await orderFor(req.user, req.params.order_id) };
    },
  );

  app.post(
    '/:order_id/fulfillments/:store_id/refuse/',
    {
      preHandler: app.requireRole('seller', 'admin'),
      schema: {
        tags: ['fulfillments'],
        operationId: 'refuseCashOnDelivery',
        summary:
          "Cash on delivery: the buyer refused the store's shipped part at the door; it is cancelled and its units go back (that store's seller, admins)",
        security,
        params: FulfillmentParams,
        body: RefuseDeliveryBody,
        response: {
          202: StatusChanged,
          ...errors,
          409: { ...ErrorResponse, description: 'NOT_CASH_ON_DELIVERY, CANCELLATION_NOT_ALLOWED (not shipped), CANCELLATION_IN_PROGRESS' },
          503: { ...ErrorResponse, description: 'PAYMENT_SERVICE_UNAVAILABLE' },
        },
      },
    },
    async (req, reply) => {
      await uc.refuseDelivery.execute(req.user, req.params.order_id, req.params.store_id, req.body?.reason ?? 'delivery_refused');
      const order = await orderFor(req.user, req.params.order_id);
      return reply.code(202).send({ order_id: req.params.order_id, status: order.status, order });
    },
  );

  /** One return as the caller may see it (after a write that just made or answered it). */
  async function returnOf(user: AuthUser, orderId: string, returnId: string) {
    const found = (await uc.listReturns.execute(user, orderId)).find((r) => r.id === returnId);
    if (!found) throw returnNotFound(returnId);
    return presentReturn(found);
  }

  /** The order as the caller may see it (after a write, or a create). */
  async function orderFor(user: AuthUser, orderId: string) {
    return presentOrderRead(await uc.getOrder.execute(user, orderId));
  }
};
