import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { instantOf } from '@sudamall/shared';
import type { PaymentStatus } from '../../../domain/payment-status';
import type { HttpDeps } from '../../app-deps';
import {
  CreatePaymentBody,
  ErrorSchema,
  GatewaySchema,
  MyPaymentsQuery,
  OrderReferenceParams,
  pageOf,
  PaymentConfigResponse,
  PaymentDetailSchema,
  PaymentIdParams,
  PaymentSchema,
  PaymentsQuery,
  ProcessPaymentBody,
  ProcessPaymentResponse,
} from '../../schemas';
import { gatewayView, pageView, paymentConfigView, paymentDetailView, paymentView, processResultView } from '../../presenters';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };
const security = [{ bearerAuth: [] }];

export const paymentRoutes =
  (deps: HttpDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { createPayment, collectPayment, getOrderPaymentStatus, getPaymentDetail, listMyPayments, listPayments, listGateways, processPayment } =
      deps.useCases;

    app.post(
      '/create/',
      {
        preHandler: app.requireRole('buyer'),
        schema: {
          operationId: 'createPayment',
          summary: 'Create the payment of an order awaiting payment (amount from the order, fee added)',
          tags: ['payments'],
          security,
          body: CreatePaymentBody,
          response: { 201: PaymentSchema, ...errors },
        },
      },
      async (request, reply) => {
        const payment = await createPayment.execute(request.user, {
          orderId: request.body.order_id,
          gateway: request.body.gateway,
          paymentMethod: request.body.payment_method,
        });
        return reply.status(201).send(paymentView(payment));
      },
    );

    app.post(
      '/process/',
      {
        preHandler: app.requireRole('buyer'),
        schema: {
          operationId: 'processPayment',
          summary: 'Charge the payment at its gateway (one attempt); a declined card can be retried',
          tags: ['payments'],
          security,
          body: ProcessPaymentBody,
          response: { 200: ProcessPaymentResponse, ...errors, 503: ErrorSchema },
        },
      },
      async (request) => {
        const b = request.body;
        const result = await processPayment.execute(request.user, {
          paymentId: b.payment_id,
          cardNumber: b.card_number,
          expMonth: b.exp_month,
          expYear: b.exp_year,
          cvc: b.cvc,
          paymentMethodId: b.payment_method_id,
        });
        return processResultView(result);
      },
    );

    app.get(
      '/status/:order_reference/',
      {
        preHandler: app.authenticate,
        schema: {
          operationId: 'getOrderPaymentStatus',
          summary: "Status of an order's payment (the live one, else the latest)",
          tags: ['payments'],
          security,
          params: OrderReferenceParams,
          response: { 200: PaymentSchema, ...errors },
        },
      },
      async (request) => paymentView(await getOrderPaymentStatus.execute(request.user, request.params.order_reference)),
    );

    app.get(
      '/detail/:payment_id/',
      {
        preHandler: app.authenticate,
        schema: {
          operationId: 'getPaymentDetail',
          summary: 'A payment with its attempts and refunds (owner or admin)',
          tags: ['payments'],
          security,
          params: PaymentIdParams,
          response: { 200: PaymentDetailSchema, ...errors },
        },
      },
      async (request) => {
        return paymentDetailView(await getPaymentDetail.execute(request.user, request.params.payment_id));
      },
    );

    app.get(
      '/my-payments/',
      {
        preHandler: app.requireRole('buyer'),
        schema: {
          operationId: 'listMyPayments',
          summary: "The caller's payments, newest first",
          tags: ['payments'],
          security,
          querystring: MyPaymentsQuery,
          response: { 200: pageOf(PaymentSchema), ...errors, 422: ErrorSchema },
        },
      },
      async (request) => {
        const { page, page_size, status, created_after, created_before, sort } = request.query;
        const result = await listMyPayments.execute(request.user, page, page_size, {
          status: status as PaymentStatus | undefined,
          createdAfter: instantOf('created_after', created_after),
          createdBefore: instantOf('created_before', created_before),
          sort,
        });
        return pageView(result, paymentView, page, page_size);
      },
    );

    app.get(
      '/',
      {
        preHandler: app.requireRole('admin'),
        schema: {
          operationId: 'listPayments',
          summary: 'Every payment, newest first unless sorted, by status, gateway and creation date (admin)',
          tags: ['payments'],
          security,
          querystring: PaymentsQuery,
          response: { 200: pageOf(PaymentSchema), ...errors, 422: ErrorSchema },
        },
      },
      async (request) => {
        const { page, page_size, status, gateway, created_after, created_before, sort } = request.query;
        const result = await listPayments.execute(page, page_size, {
          status: status as PaymentStatus | undefined,
          gateway,
          createdAfter: instantOf('created_after', created_after),
          createdBefore: instantOf('created_before', created_before),
          sort,
        });
        return pageView(result, paymentView, page, page_size);
      },
    );

    app.get(
      '/gateways/',
      {
        preHandler: app.authenticate,
        schema: {
          operationId: 'listGateways',
          summary: 'Active gateways with their fees',
          tags: ['payments'],
          security,
          response: { 200: Type.Array(GatewaySchema), 401: ErrorSchema },
        },
      },
      async () => {
        return (await listGateways.execute()).map(gatewayView);
      },
    );

    app.get(
      '/config/',
      {
        preHandler: app.authenticate,
        schema: {
          operationId: 'getPaymentConfig',
          summary: 'Public payment configuration',
          tags: ['payments'],
          security,
          response: { 200: PaymentConfigResponse, 401: ErrorSchema },
        },
      },
      async () => {
        return paymentConfigView(deps.settings, await listGateways.execute());
      },
    );

    app.post(
      '/:payment_id/collect/',
      {
        preHandler: app.requireRole('seller', 'admin'),
        schema: {
          operationId: 'collectCashPayment',
          summary: 'Cash on delivery: mark the cash collected (a seller of a store in the order, or an admin)',
          tags: ['payments'],
          security,
          params: PaymentIdParams,
          response: { 200: PaymentSchema, ...errors },
        },
      },
      async (request) => paymentView(await collectPayment.execute(request.user, request.params.payment_id)),
    );
  };
