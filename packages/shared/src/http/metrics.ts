import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** One registry per process; services add their own metrics to it. */
export const metricsRegistry = new Registry();

let defaultsCollected = false;
let httpRequests: Counter<'method' | 'route' | 'status'> | undefined;
let httpDuration: Histogram<'method' | 'route' | 'status'> | undefined;

function httpMetrics() {
  httpRequests ??= new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers: [metricsRegistry],
  });
  httpDuration ??= new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [metricsRegistry],
  });
  return { httpRequests, httpDuration };
}

export interface MetricsOptions {
  service: string;
}

/** Request count and latency per route pattern (not raw URL, to keep cardinality bounded) and `GET /metrics`. */
export function registerMetrics(app: FastifyInstance, opts: MetricsOptions): void {
  if (!defaultsCollected) {
    metricsRegistry.setDefaultLabels({ service: opts.service });
    collectDefaultMetrics({ register: metricsRegistry });
    defaultsCollected = true;
  }
  const { httpRequests: count, httpDuration: duration } = httpMetrics();
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return;
    const labels = { method: request.method, route, status: String(reply.statusCode) };
    count.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await metricsRegistry.metrics();
    return reply.type(metricsRegistry.contentType).send(text);
  });
}
