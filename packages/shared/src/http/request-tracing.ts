// The SERVER span of every HTTP request a service answers, made by the service's own HTTP server
// (fastify's `serverFactory`) instead of @opentelemetry/instrumentation-http's incoming side,
// which stays on for the requests a service makes (telemetry.ts).
//
// Why: the instrumentation computes some twenty attributes per request and wraps every listener
// either stream gets in the span's context. Here the span carries what an operator reads (method,
// route, path, status, user agent), and fastify runs inside the span's context: what it does
// later keeps it through Node's async context (its body parser runs under an AsyncResource made
// in the request's context, a response written later completes in the context that wrote it),
// so its hooks, the handler and its request log lines all see the span (test/unit/request-tracing).
import { createServer, type RequestListener, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';

const tracer = trace.getTracer('@sudamall/shared/http');

/** Fastify's options as its `serverFactory` receives them (defaults already applied). */
type ServerFactoryOptions = FastifyServerOptions & { http?: ServerOptions };

function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q < 0 ? u : u.slice(0, q);
}

function endSpan(span: Span, res: ServerResponse): void {
  span.setAttribute('http.response.status_code', res.statusCode);
  if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  // A client gone before the answer was written: the span says so instead of a status it never got.
  if (!res.writableFinished) span.setAttribute('http.request.aborted', true);
  span.end();
}

/** The request listener: a span per request (but the quiet paths), continuing the caller's W3C trace. */
function traced(handler: RequestListener, quietPaths: ReadonlySet<string>): RequestListener {
  return (req, res) => {
    const path = pathOf(req.url);
    if (quietPaths.has(path)) return handler(req, res);
    const method = req.method ?? 'GET';
    const userAgent = req.headers['user-agent'];
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': method,
          'url.path': path,
          'url.scheme': 'http',
          ...(userAgent ? { 'user_agent.original': userAgent } : {}),
        },
      },
      parent,
    );
    res.once('close', () => endSpan(span, res));
    context.with(trace.setSpan(parent, span), () => handler(req, res));
  };
}

/**
 * Fastify's `serverFactory` for a traced service: fastify's own HTTP/1.1 server, with the same
 * timeouts fastify would set, whose requests run in their span.
 */
export function tracedServerFactory(quietPaths: ReadonlySet<string>) {
  return (handler: RequestListener, opts: ServerFactoryOptions): Server => {
    const server = createServer(opts.http ?? {}, traced(handler, quietPaths));
    if (opts.keepAliveTimeout !== undefined) server.keepAliveTimeout = opts.keepAliveTimeout;
    if (opts.requestTimeout !== undefined) server.requestTimeout = opts.requestTimeout;
    if (opts.connectionTimeout !== undefined) server.setTimeout(opts.connectionTimeout);
    if (opts.maxRequestsPerSocket) server.maxRequestsPerSocket = opts.maxRequestsPerSocket;
    return server;
  };
}

/**
 * Names each request's span after its route once fastify has matched one (`POST
 * /api/v1/payments/process/`), with `http.route`: the route pattern, bounded where the path
 * (with its ids) is not.
 */
export function registerRouteOnSpan(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (route) {
      const span = trace.getSpan(context.active());
      span?.setAttribute('http.route', route);
      span?.updateName(`${request.method} ${route}`);
    }
    done();
  });
}
