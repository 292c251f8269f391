import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { registerRouteOnSpan, tracedServerFactory } from '../../src/http/request-tracing';
import { createLogger } from '../../src/logging';
import { QUIET_PATHS, startTelemetry, tracingRequests } from '../../src/telemetry';

const telemetry = startTelemetry({ serviceName: 'request-tracing', inMemory: true });
const finished = () => telemetry.memoryExporter!.getFinishedSpans();
const logLines: Array<Record<string, unknown>> = [];
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(JSON.parse(chunk.toString()));
      cb();
    },
  });
  // Typed as fastify's logger (a pino Logger is one), so the instance keeps its default generics.
  const loggerInstance: FastifyBaseLogger = createLogger({ name: 'request-tracing', level: 'info', destination });
  app = Fastify({ loggerInstance, serverFactory: tracedServerFactory(QUIET_PATHS) });
  registerRouteOnSpan(app);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/things/:id', async () => {
    // Work under the request: a child span, as a query or a gRPC call makes.
    trace.getTracer('t').startActiveSpan('inner', (span) => span.end());
    return { traceId: trace.getActiveSpan()?.spanContext().traceId };
  });
  // A body is read from the request stream's events, outside the listener's call: the handler must still see the span.
  app.post('/things', async (request) => ({ traceId: trace.getActiveSpan()?.spanContext().traceId, got: request.body }));
  app.get('/boom', async () => {
    throw new Error('boom');
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

afterAll(async () => {
  await app.close();
  await telemetry.shutdown();
});

beforeEach(() => telemetry.memoryExporter!.reset());

const serverSpans = () => finished().filter((s) => s.kind === SpanKind.SERVER);
/** The response's 'close' ends the span just after the client has the answer. */
const settled = () => new Promise((r) => setTimeout(r, 50));

describe('tracedServerFactory', () => {
  it('is what a traced process uses', () => {
    expect(tracingRequests()).toBe(true);
  });

  it('answers each request in a SERVER span named after its route, its work under it', async () => {
    const res = await fetch(`${base}/things/42?x=1`, { headers: { 'user-agent': 'jest' } });
    const body = (await res.json()) as { traceId: string };
    await settled();
    const [span] = serverSpans();
    expect(span).toBeDefined();
    expect(span.name).toBe('GET /things/:id');
    expect(span.spanContext().traceId).toBe(body.traceId);
    expect(span.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/things/:id',
      'url.path': '/things/42',
      'url.scheme': 'http',
      'user_agent.original': 'jest',
      'http.response.status_code': 200,
    });
    const inner = finished().find((s) => s.name === 'inner');
    expect(inner?.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
  });

  it("continues the caller's trace (W3C traceparent)", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${base}/things/1`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(((await res.json()) as { traceId: string }).traceId).toBe(traceId);
    await settled();
    expect(serverSpans()[0].parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  });

  it('keeps the span through a request body that arrives after the request', async () => {
    // The headers first, the body 50 ms later: the body's events come from a later socket read, outside the listener's call.
    const raw = await new Promise<string>((resolve, reject) => {
      const req = request(`${base}/things`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.flushHeaders();
      setTimeout(() => req.end(JSON.stringify({ n: 1 })), 50);
    });
    const body = JSON.parse(raw) as { traceId: string; got: unknown };
    await settled();
    expect(body.got).toEqual({ n: 1 });
    expect(serverSpans()[0].spanContext().traceId).toBe(body.traceId);
  });

  it("marks a 5xx answer as an error and puts the span's ids on the request's log lines", async () => {
    logLines.length = 0;
    expect((await fetch(`${base}/boom`)).status).toBe(500);
    await settled();
    const [span] = serverSpans();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['http.response.status_code']).toBe(500);
    // fastify's own lines: the first when the request arrives, the last once the answer is written.
    const traceId = span.spanContext().traceId;
    expect(logLines.find((l) => l.msg === 'incoming request')).toMatchObject({ trace_id: traceId });
    expect(logLines.find((l) => l.msg === 'request completed')).toMatchObject({ trace_id: traceId });
  });

  it('makes no span for probes and scrapes', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await settled();
    expect(serverSpans()).toHaveLength(0);
  });
});
