import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  authPlugin,
  frameworkErrors,
  schemaController,
  rateLimitOptionsFromEnv,
  rateLimitPlugin,
  trustProxyFromEnv,
  liveUpdatesPlugin,
  registerErrorHandler,
  registerHealth,
  registerMetrics,
  registerOpenApi,
} from '@sudamall/shared';
import type { HttpDeps } from './app-deps';
import { paymentRoutes } from './routes/payments';
import { duplicateCaptureRoutes } from './routes/duplicate-captures';
import { gatewaySettingsRoutes } from './routes/gateway-settings';
import { refundRoutes } from './routes/refunds';
import { testingRoutes } from './routes/testing';
import { webhookRoutes } from './routes/webhooks';
// The parked-message admin endpoints, the same in every service.
import { PARKED_MESSAGES_PATH, parkedMessagesRoutes } from '@sudamall/shared';

export const API_PREFIX = '/api/v1/payments';

/** The REST API as a fastify instance (tests use `app.inject`; main.ts listens). */
export async function buildApp(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    // Paths are documented with a trailing slash (Django heritage); both spellings work.
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: 256 * 1024,
    frameworkErrors,
    // JSON bodies validated as the document says, without type coercion (shared/http/validation.ts).
    schemaController,
    // request.ip is the client the gateway forwards (X-Forwarded-For from TRUSTED_PROXIES only).
    trustProxy: trustProxyFromEnv(),
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerErrorHandler(app);
  await registerOpenApi(app, { title: 'Sudamall payments', version: '1.0.0', prefix: API_PREFIX });
  await app.register(authPlugin, deps.auth);
  await app.register(rateLimitPlugin, { ...rateLimitOptionsFromEnv(), auth: deps.auth });
  registerHealth(app, { ready: deps.ready });
  registerMetrics(app, { service: 'payment' });

  await app.register(paymentRoutes(deps), { prefix: API_PREFIX });
  await app.register(refundRoutes(deps), { prefix: `${API_PREFIX}/refunds` });
  await app.register(webhookRoutes(deps), { prefix: `${API_PREFIX}/webhooks` });
  await app.register(duplicateCaptureRoutes(deps), { prefix: `${API_PREFIX}/admin/duplicate-captures` });
  await app.register(gatewaySettingsRoutes(deps), { prefix: `${API_PREFIX}/gateways` });
  if (deps.parked) await app.register(parkedMessagesRoutes, { prefix: `${API_PREFIX}${PARKED_MESSAGES_PATH}`, parked: deps.parked });
  if (deps.settings.testMode) await app.register(testingRoutes(deps), { prefix: `${API_PREFIX}/test` });
  if (deps.live) await app.register(liveUpdatesPlugin, deps.live);

  await app.ready();
  return app as unknown as FastifyInstance;
}
