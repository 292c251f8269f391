import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
// Brings @fastify/swagger's `schema.hide` into the route types (the dashboard is not part of the public API).
import type {} from '@fastify/swagger';
import { ADMIN_ACTIONS } from '../../../app/saga-actions';
import type { ActOnSaga } from '../../../app/act-on-saga';
import type { GetSagaDetail } from '../../../app/get-saga-detail';
import type { ListDashboardSagas } from '../../../app/list-dashboard-sagas';
import { MAX_SAGA_AGE_SECONDS } from '../../../app/saga-admin';
import { DASHBOARD_CSS, DASHBOARD_JS, detailPage, listPage } from './page';

export { DASHBOARD_PREFIX } from './page';

const OrderIdParams = Type.Object({ order_id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

const ListQuery = Type.Object(
  {
    state: Type.Optional(Type.Union([Type.Literal(''), Type.String({ pattern: '^[a-z_]{1,32}$' })])),
    stuck: Type.Optional(Type.Boolean()),
    older_than_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_SAGA_AGE_SECONDS })),
    order_id: Type.Optional(Type.String({ maxLength: 64 })),
    user_id: Type.Optional(Type.String({ maxLength: 128 })),
    page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
    page_size: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  },
  { additionalProperties: false },
);

const ActionParams = Type.Object(
  { order_id: Type.String({ minLength: 1, maxLength: 64 }), action: Type.Union(ADMIN_ACTIONS.map((a) => Type.Literal(a))) },
  { additionalProperties: false },
);
const ActionBody = Type.Object(
  {
    /** Chosen by the page once per intended action: a repeat replays the first outcome. */
    idempotency_key: Type.String({ minLength: 8, maxLength: 128 }),
    note: Type.String({ maxLength: 2000, default: '' }),
  },
  { additionalProperties: false },
);

// The page frames and assets are public (they hold no data); the data comes from the JSON
// endpoints below, which only an admin token opens.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";

/** The saga dashboard under /admin/sagas: HTML pages, their assets, and the admin JSON API they call. */
export interface SagaDashboardUseCases {
  listDashboardSagas: ListDashboardSagas;
  getSagaDetail: GetSagaDetail<unknown>;
  actOnSaga: ActOnSaga;
}

export const sagaDashboardRoutes: FastifyPluginAsyncTypebox<{ useCases: SagaDashboardUseCases }> = async (app, { useCases: uc }) => {
  const admin = app.requireRole('admin');
  const hide = { hide: true };

  app.get('/', { schema: hide }, async (_req, reply) => reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).send(listPage()));
  app.get('/assets/dashboard.js', { schema: hide }, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(DASHBOARD_JS),
  );
  app.get('/assets/dashboard.css', { schema: hide }, async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(DASHBOARD_CSS),
  );
  app.get('/:order_id', { schema: { ...hide, params: OrderIdParams } }, async (req, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).send(detailPage(req.params.order_id)),
  );

  app.get('/api/sagas', { preHandler: admin, schema: { ...hide, querystring: ListQuery } }, async (req) => {
    const q = req.query;
    const r = await uc.listDashboardSagas.execute({
      state: q.state || undefined,
      stuck: q.stuck === true ? true : undefined,
      olderThanSeconds: q.older_than_seconds,
      orderId: q.order_id?.trim() || undefined,
      userId: q.user_id?.trim() || undefined,
      page: q.page,
      pageSize: q.page_size,
    });
    return { ...r, page: q.page, page_size: q.page_size };
  });

  app.get('/api/sagas/:order_id', { preHandler: admin, schema: { ...hide, params: OrderIdParams } }, async (req) =>
    uc.getSagaDetail.execute(req.params.order_id),
  );

  app.post('/api/sagas/:order_id/actions/:action', { preHandler: admin, schema: { ...hide, params: ActionParams, body: ActionBody } }, async (req) =>
    uc.actOnSaga.execute(req.user, req.params.order_id, { action: req.params.action, idempotencyKey: req.body.idempotency_key, note: req.body.note }),
  );
};
