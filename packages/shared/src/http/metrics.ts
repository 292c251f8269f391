import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry, type Metric } from 'prom-client';

/** One registry per process; services add their own metrics to it. */
export const metricsRegistry = new Registry();

let defaultsCollected = false;

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface RequestSeries {
  labels: { method: string; route: string; status: string };
  count: number;
  sumSeconds: number;
  /** Requests per bucket (not cumulative), one per DURATION_BUCKETS bound and one for +Inf. */
  buckets: number[];
}

/**
 * Requests by method, route pattern and status, with their latency: plain numbers per series,
 * turned into Prometheus samples only when /metrics is scraped. prom-client's `Counter.inc` and
 * `Histogram.observe` validate and hash their labels on every call, ~25-30 µs a request: a tenth
 * of a cart read's CPU (bench/README, Cart). The series are as many as before (method × route
 * pattern × status), so memory stays bounded.
 */
class HttpRequestMetrics {
  private readonly series = new Map<string, RequestSeries>();

  record(method: string, route: string, statusCode: number, seconds: number): void {
    const key = `${method} ${statusCode} ${route}`;
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { method, route, status: String(statusCode) }, count: 0, sumSeconds: 0, buckets: new Array<number>(DURATION_BUCKETS.length + 1).fill(0) };
      this.series.set(key, s);
    }
    s.count++;
    s.sumSeconds += seconds;
    let b = 0;
    while (b < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[b]) b++;
    s.buckets[b]++;
  }

  /** `http_requests_total`, in the shape prom-client's registry formats (what its Counter.get answers). */
  readonly counter = {
    name: 'http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    type: 'counter',
    aggregator: 'sum',
    get: async () => ({
      name: this.counter.name,
      help: this.counter.help,
      type: this.counter.type,
      aggregator: this.counter.aggregator,
      values: [...this.series.values()].map((s) => ({ labels: s.labels, value: s.count })),
    }),
    reset: () => this.series.clear(),
  };

  /** `http_request_duration_seconds`: cumulative `_bucket` samples with `le`, then `_sum` and `_count`. */
  readonly histogram = {
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status',
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({
      name: this.histogram.name,
      help: this.histogram.help,
      type: this.histogram.type,
      aggregator: this.histogram.aggregator,
      values: [...this.series.values()].flatMap((s) => {
        let cumulative = 0;
        const buckets = s.buckets.map((n, b) => {
          cumulative += n;
          return {
            labels: { ...s.labels, le: b < DURATION_BUCKETS.length ? DURATION_BUCKETS[b] : '+Inf' },
            value: cumulative,
            metricName: `${this.histogram.name}_bucket`,
          };
        });
        return [
          ...buckets,
          { labels: s.labels, value: s.sumSeconds, metricName: `${this.histogram.name}_sum` },
          { labels: s.labels, value: s.count, metricName: `${this.histogram.name}_count` },
        ];
      }),
    }),
    reset: () => this.series.clear(),
  };
}

let httpRequests: HttpRequestMetrics | undefined;

function httpMetrics(): HttpRequestMetrics {
  if (!httpRequests) {
    httpRequests = new HttpRequestMetrics();
    // The registry reads a metric through `name`, `get()` and `reset()` only.
    metricsRegistry.registerMetric(httpRequests.counter as unknown as Metric);
    metricsRegistry.registerMetric(httpRequests.histogram as unknown as Metric);
  }
  return httpRequests;
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
  const requests = httpMetrics();
  // A callback hook, not an async one: no promise per request for a few additions.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (route !== '/metrics') requests.record(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await metricsRegistry.metrics();
    return reply.type(metricsRegistry.contentType).send(text);
  });
}
