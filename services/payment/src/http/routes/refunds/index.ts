import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { instantOf } from '@sudamall/shared';
import type { HttpDeps } from '../../app-deps';
import { CreateRefundBody, ErrorSchema, pageOf, PaymentSchema, RefundIdParams, RefundSchema, RefundsQuery } from '../../schemas';
import { pageView, refundCreatedView, refundView } from '../../presenters';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };
const security = [{ bearerAuth: [] }];
const RefundCreated = Type.Object({ refund: RefundSchema, payment: PaymentSchema });

export const refundRoutes =
  (deps: HttpDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { listRefunds, getRefund, createRefund } = deps.useCases;
    const admin = app.requireRole('admin');

    app.post(
      '/create/',
      {
        preHandler: admin,
        schema: {
          operationId: 'createRefund',
          summary: 'Refund a completed payment, everything the buyer paid by default (admin)',
          description:
            '201: refunded. 202: the gateway did not answer in time (timeout, outage); the refund stays pending with its amount ' +
            'reserved and is reconciled against the gateway, never sent again under another key: follow it at GET refunds/{refund_id}/. ' +
            'A definite refusal by the gateway fails the refund (4xx) and releases its amount.',
          tags: ['refunds'],
          security,
          body: CreateRefundBody,
          response: { 201: RefundCreated, 202: RefundCreated, ...errors, 503: ErrorSchema },
        },
      },
      async (request, reply) => {
        const result = await createRefund.execute(request.user, {
          paymentId: request.body.payment_id,
          amount: request.body.amount,
          reason: request.body.reason,
        });
        return reply.status(result.outcome === 'completed' ? 201 : 202).send(refundCreatedView(result));
      },
    );

    app.get(
      '/',
      {
        preHandler: admin,
        schema: {
          operationId: 'listRefunds',
          summary: 'Refunds, newest first unless sorted, by payment, status and creation date (admin)',
          tags: ['refunds'],
          security,
          querystring: RefundsQuery,
          response: { 200: pageOf(RefundSchema), ...errors, 422: ErrorSchema },
        },
      },
      async (request) => {
        const { page, page_size, payment_id, status, created_after, created_before, sort } = request.query;
        const result = await listRefunds.execute(page, page_size, {
          paymentId: payment_id,
          status,
          createdAfter: instantOf('created_after', created_after),
          createdBefore: instantOf('created_before', created_before),
          sort,
        });
        return pageView(result, refundView, page, page_size);
      },
    );

    app.get(
      '/:refund_id/',
      {
        preHandler: admin,
        schema: {
          operationId: 'getRefund',
          summary: 'One refund (admin)',
          tags: ['refunds'],
          security,
          params: RefundIdParams,
          response: { 200: RefundSchema, ...errors },
        },
      },
      async (request) => refundView(await getRefund.execute(request.params.refund_id)),
    );
  };
