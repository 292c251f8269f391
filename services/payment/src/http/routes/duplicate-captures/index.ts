import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import { MONEY_PATTERN } from '@sudamall/shared';
import { listDuplicateCaptures } from '../../../app/duplicate-captures';
import type { DuplicateCaptureRecord } from '../../../app/records';
import type { HttpDeps } from '../../app-deps';
import { ErrorSchema } from '../../schemas';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });
const Status = Type.Union([Type.Literal('refund_pending'), Type.Literal('refunded'), Type.Literal('refund_failed')]);

export const DuplicateCaptureSchema = Type.Object({
  id: Type.String(),
  payment_id: Type.String(),
  order_id: Type.String(),
  gateway: Type.String(),
  /** The second capture's own gateway transaction (what is refunded; never the one the payment keeps). */
  transaction_id: Type.String(),
  amount: Type.String({ pattern: MONEY_PATTERN }),
  currency: Type.String(),
  /** How it was seen: webhook:<provider>:<event id>, charge. */
  source: Type.String(),
  /** The order's payment that keeps its capture, when it is another payment. */
  live_payment_id: Nullable(Type.String()),
  status: Status,
  gateway_refund_id: Nullable(Type.String()),
  refund_attempts: Type.Integer(),
  last_error: Nullable(Type.String()),
  detected_at: DateTime,
  refunded_at: Nullable(DateTime),
});

const Query = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal(''), Status])),
    order_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  },
  { additionalProperties: false },
);

export function duplicateCaptureView(d: DuplicateCaptureRecord) {
  return {
    id: d.id,
    payment_id: d.paymentId,
    order_id: d.orderReference,
    gateway: d.gateway,
    transaction_id: d.transactionId,
    amount: d.amount,
    currency: d.currency,
    source: d.source,
    live_payment_id: d.livePaymentId,
    status: d.status,
    gateway_refund_id: d.gatewayRefundId,
    refund_attempts: d.refundAttempts,
    last_error: d.lastError,
    detected_at: d.detectedAt.toISOString(),
    refunded_at: d.refundedAt ? d.refundedAt.toISOString() : null,
  };
}

/** GET /admin/duplicate-captures/: payments the buyer paid twice, and where their automatic refund is (the saga dashboard lists them). */
export const duplicateCaptureRoutes =
  (deps: HttpDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const admin = app.requireRole('admin');
    app.get(
      '/',
      {
        preHandler: admin,
        schema: {
          operationId: 'listDuplicateCaptures',
          summary: 'Duplicate captures, newest first, with their automatic refund (admin)',
          tags: ['admin'],
          security: [{ bearerAuth: [] }],
          querystring: Query,
          response: { 200: Type.Object({ items: Type.Array(DuplicateCaptureSchema) }), 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema },
        },
      },
      async (request) => {
        const items = await listDuplicateCaptures(deps.useCases, {
          status: request.query.status || undefined,
          orderId: request.query.order_id,
          limit: request.query.limit,
        });
        return { items: items.map(duplicateCaptureView) };
      },
    );
  };
