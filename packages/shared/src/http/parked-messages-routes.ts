// The admin endpoints over a service's parked messages, the same in every service: each mounts
// them under its own /api/v1/<its prefix>/admin/parked-messages, and the saga dashboard calls
// them through the gateway with the operator's admin token. Thin: ParkedMessages decides.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
// Brings @fastify/swagger's `schema.hide` into the route types.
import type {} from '@fastify/swagger';
import { PARKED_STATUSES, parkedMessageView, type ParkedMessages } from '../messaging/parked-messages';

const ListQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(PARKED_STATUSES.map((s) => Type.Literal(s)))),
    consumer: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 20 }) }, { additionalProperties: false });
const RetryBody = Type.Object({ note: Type.String({ maxLength: 2000, default: '' }) }, { additionalProperties: false });
const DiscardBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false });

export const PARKED_MESSAGES_PATH = '/admin/parked-messages';

/** GET / (list), GET /:id, POST /:id/retry, POST /:id/discard; admin only. Needs the auth plugin. */
export const parkedMessagesRoutes: FastifyPluginAsync<{ parked: ParkedMessages }> = async (app, { parked }) => {
  const admin = app.requireRole('admin');
  // Operator endpoints, kept out of the public OpenAPI document like the saga dashboard.
  const hide = { hide: true };

  app.get('/', { preHandler: admin, schema: { ...hide, querystring: ListQuery } }, async (req) => {
    const q = req.query as Static<typeof ListQuery>;
    const r = await parked.list({ status: q.status, consumer: q.consumer, limit: q.limit, offset: q.offset });
    return { items: r.items.map(parkedMessageView), total: r.total, limit: q.limit, offset: q.offset };
  });

  app.get('/:id', { preHandler: admin, schema: { ...hide, params: IdParams } }, async (req) =>
    parkedMessageView(await parked.get((req.params as Static<typeof IdParams>).id)),
  );

  app.post('/:id/retry', { preHandler: admin, schema: { ...hide, params: IdParams, body: RetryBody } }, async (req) => {
    const { id } = req.params as Static<typeof IdParams>;
    return parkedMessageView(await parked.retry(id, req.user, (req.body as Static<typeof RetryBody>).note));
  });

  app.post('/:id/discard', { preHandler: admin, schema: { ...hide, params: IdParams, body: DiscardBody } }, async (req) => {
    const { id } = req.params as Static<typeof IdParams>;
    return parkedMessageView(await parked.discard(id, req.user, (req.body as Static<typeof DiscardBody>).reason));
  });
};
