// buildApp(deps): the cart's HTTP application, without listening (tests inject; main listens).
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
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
import type { CartUseCases } from '../container';
import { cartRoutes } from './routes/carts';
// The parked-message admin endpoints, the same in every service.
import { PARKED_MESSAGES_PATH, parkedMessagesRoutes, type ParkedMessages } from '@sudamall/shared';

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

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps the instance's default generics.
    loggerInstance: deps.logger as FastifyBaseLogger | undefined,
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
    title: 'Sudamall cart',
    version: '1.0.0',
    prefix: API_PREFIX,
    description: 'The buyer cart: items with sizes, validation against live stock and price, checkout.',
  });
  await app.register(authPlugin, deps.auth);
  await app.register(rateLimitPlugin, { ...rateLimitOptionsFromEnv(), auth: deps.auth });
  registerHealth(app, { ready: deps.ready ?? (() => true) });
  if (deps.metrics) registerMetrics(app, { service: 'cart' });
  await app.register(cartRoutes, { prefix: API_PREFIX, useCases: deps.useCases });
  if (deps.parked) await app.register(parkedMessagesRoutes, { prefix: `${API_PREFIX}${PARKED_MESSAGES_PATH}`, parked: deps.parked });
  return app;
}
