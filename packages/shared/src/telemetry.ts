// Load this first (before fastify, pg, kafkajs, ioredis, grpc are required): instrumentations
// patch modules as they are loaded.
import { context, propagation, trace } from '@opentelemetry/api';
import { getBooleanFromEnv, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, InMemorySpanExporter, NoopSpanProcessor, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface TelemetryOptions {
  serviceName: string;
  /** OTLP/HTTP collector base URL (OTEL_EXPORTER_OTLP_ENDPOINT); spans are exported only when set. */
  otlpEndpoint?: string;
  /** Keep finished spans in memory (tests assert on them through `memoryExporter`). */
  inMemory?: boolean;
}

export interface Telemetry {
  sdk: NodeSDK;
  /** Whether spans are made (the SDK is on): the services' HTTP servers then trace each request. */
  tracing: boolean;
  /** Set when `inMemory` was asked for. */
  memoryExporter?: InMemorySpanExporter;
  shutdown(): Promise<void>;
}

/** Paths whose requests make no span: probes and scrapes, many a minute, nobody's operation. */
export const QUIET_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}

let started: Telemetry | undefined;

function instrumentations() {
  return [
    // Outgoing requests only (gateways, identity providers): the SERVER span of each request a
    // service answers is made by its own HTTP server (http/request-tracing.ts), cheaper: with
    // it, tracing costs a cart read ~50 µs instead of ~115 (bench/README, Tracing).
    new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
    new GrpcInstrumentation({ ignoreGrpcMethods: [/^Check$/, /^Watch$/] }),
    // No `pg-pool.connect` span: one per pool checkout, a quarter of a checkout's spans (bench/README,
    // Tracing), the connection's wait already being the gap before the statement's own span.
    new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
    new IORedisInstrumentation({ requireParentSpan: true }),
    // No kafkajs instrumentation: the bus makes each message's `process` span itself, as a child
    // of the operation that caused the message (the envelope's traceparent, which survives the
    // outbox). The instrumentation's spans were a second consumer span per message and a
    // `send` span per relayed message, each the root of a trace of its own (a relay publishes
    // outside any request), and ~1 ms of CPU per checkout.
  ];
}

/**
 * Starts tracing for the process (once; later calls return the first instance). Spans are
 * always created, so logs carry trace ids and messages carry `traceparent` even when nothing
 * is exported; unless OTEL_SDK_DISABLED=true turns the SDK off (benchmarks), which then
 * instruments nothing either.
 */
export function startTelemetry(opts: TelemetryOptions): Telemetry {
  if (started) return started;
  const spanProcessors: SpanProcessor[] = [];
  let memoryExporter: InMemorySpanExporter | undefined;
  if (opts.otlpEndpoint) {
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(opts.otlpEndpoint) })));
  }
  if (opts.inMemory) {
    memoryExporter = new InMemorySpanExporter();
    spanProcessors.push(new SimpleSpanProcessor(memoryExporter));
  }
  // Without any processor NodeSDK would register no tracer provider at all (no ids to log).
  if (spanProcessors.length === 0) spanProcessors.push(new NoopSpanProcessor());
  const tracing = !getBooleanFromEnv('OTEL_SDK_DISABLED');

  const sdk = new NodeSDK({
    serviceName: opts.serviceName,
    resource: resourceFromAttributes({ 'service.name': opts.serviceName }),
    autoDetectResources: false,
    textMapPropagator: new W3CTraceContextPropagator(),
    spanProcessors,
    // Traces only (metrics are prom-client's /metrics, logs are pino's stdout). Left unset, the
    // SDK reads OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER and defaults both to OTLP on
    // localhost:4318: a metric push every minute to nowhere, and a shutdown that spent ~8 s
    // retrying the final export against a refused connection.
    metricReaders: [],
    logRecordProcessors: [],
    // With the SDK off (OTEL_SDK_DISABLED=true) none: constructing an instrumentation patches its
    // library whether or not the SDK starts, and every request, query and message would then make
    // no-op spans (~3 % of a checkout's CPU in order, bench/README).
    instrumentations: tracing ? instrumentations() : [],
  });
  sdk.start();
  started = {
    sdk,
    tracing,
    ...(memoryExporter ? { memoryExporter } : {}),
    shutdown: async () => {
      await sdk.shutdown();
      started = undefined;
    },
  };
  return started;
}

/** Whether this process traces (startTelemetry ran with the SDK on): its HTTP servers then make a span per request. */
export function tracingRequests(): boolean {
  return started?.tracing ?? false;
}

// Re-exported so callers use the same @opentelemetry/api instance as the SDK.
export { context, propagation, trace };
