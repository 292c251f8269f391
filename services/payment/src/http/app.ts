import type { FastifyInstance } from 'fastify';
import { createServiceApp, liveUpdatesPlugin } from '@sudamall/shared';
import type { HttpDeps } from './app-deps';
import { paymentRoutes } from './routes/payments';
import { duplicateCaptureRoutes } from './routes/duplicate-captures';
import { gatewaySettingsRoutes } from './routes/gateway-settings';
import { refundRoutes } from './routes/refunds';
import { testingRoutes } from './routes/testing';
import { webhookRoutes } from './routes/webhooks';

export const API_PREFIX = '/api/v1/payments';

/**
 * The REST API as a fastify instance, the standard service app around payment's routes (tests use
 * `app.inject`; the kernel listens). Ready on return: the live routes are registered here, not by the kernel.
 */
export async function buildApp(deps: HttpDeps): Promise<FastifyInstance> {
  const app = await createServiceApp({
    service: 'payment',
    openApi: { title: 'Sudamall payments', version: '1.0.0', prefix: API_PREFIX },
    auth: deps.auth,
    logger: deps.logger,
    ready: deps.ready,
    bodyLimit: 256 * 1024,
    parked: deps.parked,
    routes: async (app) => {
      await app.register(paymentRoutes(deps), { prefix: API_PREFIX });
      await app.register(refundRoutes(deps), { prefix: `${API_PREFIX}/refunds` });
      await app.register(webhookRoutes(deps), { prefix: `${API_PREFIX}/webhooks` });
      await app.register(duplicateCaptureRoutes(deps), { prefix: `${API_PREFIX}/admin/duplicate-captures` });
      await app.register(gatewaySettingsRoutes(deps), { prefix: `${API_PREFIX}/gateways` });
      if (deps.settings.testMode) await app.register(testingRoutes(deps), { prefix: `${API_PREFIX}/test` });
      if (deps.live) await app.register(liveUpdatesPlugin, deps.live);
    },
  });
  await app.ready();
  return app;
}
