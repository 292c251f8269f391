// buildApp(deps): the cart's HTTP application, without listening (tests inject; the kernel listens).
import type { FastifyInstance } from 'fastify';
import { createServiceApp, type Logger, type ParkedMessages, type VerifierOptions } from '@sudamall/shared';
import type { CartUseCases } from '../container';
import { cartRoutes } from './routes/carts';

export const API_PREFIX = '/api/v1/carts';

export interface AppDeps {
  useCases: CartUseCases;
  auth: VerifierOptions;
  logger?: Logger;
  ready?: () => boolean | Promise<boolean>;
  /** Off in tests that build many apps (prom-client metrics are process-wide). */
  metrics?: boolean;
  /** The consumers' parked messages (admin endpoints); tests may leave them out. */
  parked?: ParkedMessages;
}

export function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  return createServiceApp({
    service: 'cart',
    openApi: {
      title: 'Sudamall cart',
      version: '1.0.0',
      prefix: API_PREFIX,
      description: 'The buyer cart: items with sizes, validation against live stock and price, checkout.',
    },
    auth: deps.auth,
    logger: deps.logger,
    ready: deps.ready,
    bodyLimit: 64 * 1024,
    metrics: deps.metrics ?? false,
    // No log line per request, as in order: the cart read is the shop's hottest path, and at the
    // default level (info) its two lines per request cost ~30-40 µs of CPU (measured), about a
    // tenth of a whole read; metrics count requests by route and status, traces follow each
    // one, and failures are still logged by the error handler.
    requestLogging: false,
    parked: deps.parked,
    routes: async (app) => {
      await app.register(cartRoutes, { prefix: API_PREFIX, useCases: deps.useCases });
    },
  });
}
