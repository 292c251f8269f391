// buildApp(deps): the order service's HTTP application, without listening (tests inject; the kernel listens).
import type { FastifyInstance } from 'fastify';
import { createServiceApp, type Logger, type VerifierOptions } from '@sudamall/shared';
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

export function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  return createServiceApp({
    service: 'order',
    openApi: {
      title: 'Sudamall orders',
      version: '1.0.0',
      prefix: API_PREFIX,
      description: 'Orders, their status history and the checkout saga (reserve stock → pay → confirm, or compensate).',
    },
    auth: deps.auth,
    logger: deps.logger,
    ready: deps.ready,
    bodyLimit: 64 * 1024,
    metrics: deps.metrics ?? false,
    // One line per request would drown the saga's own logs; metrics count requests instead.
    requestLogging: false,
    // The saga consumer's parked messages (the dashboard's "Parked messages"); the client's
    // document generator hands buildApp use cases only, so they are read from there.
    parked: deps.useCases.parked,
    routes: async (app) => {
      await app.register(orderRoutes, { prefix: API_PREFIX, useCases: deps.useCases });
      await app.register(accountRoutes, { prefix: '/api/v1/accounts', useCases: deps.useCases });
      await app.register(sagaDashboardRoutes, { prefix: DASHBOARD_PREFIX, useCases: deps.useCases });
    },
  });
}
