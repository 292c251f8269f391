// buildApp(deps): the order service's HTTP application, without listening (tests inject; main listens).
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  authPlugin,
  frameworkErrors,
  schemaController,
  rateLimitOptionsFromEnv,
  rateLimitPlugin,
  trustProxyFromEnv,
  registerErrorHandler,
  registerHealth,
  registerMetrics,
  registerOpenApi,
  type Logger,
  type VerifierOptions,
} from '@sudamall/shared';
// The parked-message admin endpoints, the same in every service.
import { PARKED_MESSAGES_PATH, parkedMessagesRoutes } from '@sudamall/shared';
import type { OrderUseCases } from '../container';
import { accountRoutes } from './routes/accounts';
import { orderRoutes } from './routes/orders';
import { DASHBOARD_PREFIX, sagaDashboardRoutes } from './routes/saga-dashboard';

export const API_PREFIX = '/api/v1/orders';

export interface AppDeps {
  useCases: OrderUseCases;
  auth: VerifierOptions;
  logger?: Logger;
  ready?: () => boolean | Promise<boolean>;
  /** Off in tests that build several apps (prom-client metrics are process-wide). */
  metrics?: boolean;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger | undefined,
    // One line per request would drown the saga's own logs; metrics count requests instead.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: 64 * 1024,
    frameworkErrors,
    // JSON bodies validated as the document says, without type coercion (shared/http/validation.ts).
    schemaController,
    // request.ip is the client the gateway forwards (X-Forwarded-For from TRUSTED_PROXIES only).
    trustProxy: trustProxyFromEnv(),
  });
  registerErrorHandler(app);
  await registerOpenApi(app, {
    title: 'Sudamall orders',
    version: '1.0.0',
    prefix: API_PREFIX,
    description: 'Orders, their status history and the checkout saga (reserve stock → pay → confirm, or compensate).',
  });
  await app.register(authPlugin, deps.auth);
  await app.register(rateLimitPlugin, { ...rateLimitOptionsFromEnv(), auth: deps.auth });
  registerHealth(app, { ready: deps.ready ?? (() => true) });
  if (deps.metrics) registerMetrics(app, { service: 'order' });
  await app.register(orderRoutes, { prefix: API_PREFIX, useCases: deps.useCases });
  await app.register(parkedMessagesRoutes, { prefix: `${API_PREFIX}${PARKED_MESSAGES_PATH}`, parked: deps.useCases.parked });
  await app.register(accountRoutes, { prefix: '/api/v1/accounts', useCases: deps.useCases });
  await app.register(sagaDashboardRoutes, { prefix: DASHBOARD_PREFIX, sagaAdmin: deps.useCases.sagaAdmin });
  return app;
}
