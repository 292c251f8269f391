// createServiceApp: the fastify application every service builds, with the options each of them
// used to repeat and the shared plugins in ONE order; the service adds only its own routes.
//   error handler → OpenAPI (before any route: swagger collects routes as they are added) →
//   auth → rate limit → /healthz, /readyz → /metrics → the service's routes → parked messages.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { VerifierOptions } from '../auth';
import type { Logger } from '../logging';
import type { ParkedMessages } from '../messaging/parked-messages';
import { QUIET_PATHS, tracingRequests } from '../telemetry';
import { authPlugin } from './auth-plugin';
import { frameworkErrors, registerErrorHandler } from './error-handler';
import { registerHealth } from './health';
import { registerMetrics } from './metrics';
import { registerOpenApi, type OpenApiOptions } from './openapi';
import { PARKED_MESSAGES_PATH, parkedMessagesRoutes } from './parked-messages-routes';
import { rateLimitOptionsFromEnv, rateLimitPlugin, trustProxyFromEnv } from './rate-limit';
import { registerRouteOnSpan, tracedServerFactory } from './request-tracing';
import { schemaController } from './validation';

export interface ServiceAppOptions {
  /** The `service` label of the process's metrics. */
  service: string;
  /** The document at `<prefix>/openapi.json`; `prefix` is also where the parked-message routes go. */
  openApi: OpenApiOptions;
  auth: VerifierOptions;
  logger?: Logger;
  /** Largest accepted request body, in bytes. */
  bodyLimit: number;
  /** Readiness (false while starting or draining); default always ready (tests). */
  ready?: () => boolean | Promise<boolean>;
  /** `GET /metrics` and the request metrics; default on (tests that build many apps may turn it off). */
  metrics?: boolean;
  /** false: no log line per request (a service whose own logs would drown in them; metrics count requests). Default on. */
  requestLogging?: boolean;
  /** The consumers' parked messages: their admin endpoints at `<prefix>/admin/parked-messages/`. */
  parked?: ParkedMessages;
  /** The service's own routes (registered after the shared plugins, before the parked-message routes). */
  routes: (app: FastifyInstance) => Promise<void>;
}

export async function createServiceApp(opts: ServiceAppOptions): Promise<FastifyInstance> {
  const tracing = tracingRequests();
  const app: FastifyInstance = Fastify({
    // A span per request when the process traces (http/request-tracing.ts).
    ...(tracing ? { serverFactory: tracedServerFactory(QUIET_PATHS) } : {}),
    // pino's Logger is a FastifyBaseLogger; the cast keeps the instance's default generics.
    loggerInstance: opts.logger as FastifyBaseLogger | undefined,
    ...(opts.requestLogging === false ? { logController: new LogController({ disableRequestLogging: true }) } : {}),
    // Paths are documented with a trailing slash (Django heritage); both spellings are served.
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: opts.bodyLimit,
    frameworkErrors,
    // JSON bodies validated as the document says, without type coercion (shared/http/validation.ts).
    schemaController,
    // request.ip is the client the gateway forwards (X-Forwarded-For from TRUSTED_PROXIES only).
    trustProxy: trustProxyFromEnv(),
  });

  if (tracing) registerRouteOnSpan(app);
  registerErrorHandler(app);
  await registerOpenApi(app, opts.openApi);
  await app.register(authPlugin, opts.auth);
  await app.register(rateLimitPlugin, { ...rateLimitOptionsFromEnv(), auth: opts.auth });
  registerHealth(app, { ready: opts.ready ?? (() => true) });
  if (opts.metrics !== false) registerMetrics(app, { service: opts.service });
  await opts.routes(app);
  if (opts.parked) {
    await app.register(parkedMessagesRoutes, { prefix: `${opts.openApi.prefix.replace(/\/+$/, '')}${PARKED_MESSAGES_PATH}`, parked: opts.parked });
  }
  return app;
}
