import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { HttpDeps } from '../../app-deps';
import { DuplicateCaptureSchema, DuplicateCapturesQuery, ErrorSchema } from '../../schemas';
import { duplicateCaptureView } from '../../presenters';

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
          querystring: DuplicateCapturesQuery,
          response: { 200: Type.Object({ items: Type.Array(DuplicateCaptureSchema) }), 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema },
        },
      },
      async (request) => {
        const items = await deps.useCases.listDuplicateCaptures.execute({
          status: request.query.status || undefined,
          orderId: request.query.order_id,
          limit: request.query.limit,
        });
        return { items: items.map(duplicateCaptureView) };
      },
    );
  };
