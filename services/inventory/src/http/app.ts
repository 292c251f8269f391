// The REST application as a function of its dependencies (tests use app.inject on it).
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
  type VerifierOptions,
} from '@sudamall/shared';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { CatalogueUseCases } from '../container';
import { productRoutes } from './routes/products';
// The parked-message admin endpoints, the same in every service.
import { PARKED_MESSAGES_PATH, parkedMessagesRoutes, type ParkedMessages } from '@sudamall/shared';

export interface AppDeps {
  useCases: CatalogueUseCases;
  auth: VerifierOptions;
  /** Readiness (false while starting or draining). */
  ready: () => boolean | Promise<boolean>;
  logger?: Logger;
  /** The commands consumer's parked messages (admin endpoints); tests may leave them out. */
  parked?: ParkedMessages;
}

export const API_PREFIX = '/api/v1/products';

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; typing it as such keeps the instance's default types.
    ...(deps.logger ? { loggerInstance: deps.logger as FastifyBaseLogger } : {}),
    // Both /api/v1/products/{id}/ and /api/v1/products/{id} are served.
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: 1024 * 1024,
    frameworkErrors,
    // JSON bodies validated as the document says, without type coercion (shared/http/validation.ts).
    schemaController,
    // request.ip is the client the gateway forwards (X-Forwarded-For from TRUSTED_PROXIES only).
    trustProxy: trustProxyFromEnv(),
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerErrorHandler(app);
  await app.register(authPlugin, deps.auth);
  await app.register(rateLimitPlugin, { ...rateLimitOptionsFromEnv(), auth: deps.auth });
  await registerOpenApi(app, {
    title: 'Sudamall inventory',
    version: '1.0.0',
    prefix: API_PREFIX,
    description: 'Products, stock and history. Money is a decimal string ("19.99").',
  });
  registerHealth(app, { ready: deps.ready });
  registerMetrics(app, { service: 'inventory' });
  await app.register(productRoutes, { prefix: API_PREFIX, useCases: deps.useCases });
  if (deps.parked) await app.register(parkedMessagesRoutes, { prefix: `${API_PREFIX}${PARKED_MESSAGES_PATH}`, parked: deps.parked });
  return app;
}
