// Traces and metrics of the running platform. The four services export their spans over
// OTLP/HTTP (JSON, what @opentelemetry/exporter-trace-otlp-http sends) to a receiver this test
// runs on a free port; one checkout and its payment must each be one trace across the services
// (REST → gRPC → outbox → Kafka → consumers, with the database and Redis calls inside), and every
// service's /metrics must carry the request, outbox, consumer-lag and domain gauges.
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ApiClient, eventuallyValue, expectStatus, SERVICES, startPlatform, type Platform } from './platform';

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, unknown>;
}

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CONSUMER = 5;

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type OtlpAttr = { key: string; value: OtlpValue };
const attrValue = (v: OtlpValue) => v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue;
const attrs = (list: OtlpAttr[] | undefined) => Object.fromEntries((list ?? []).map((a) => [a.key, attrValue(a.value)]));

/** A minimal OTLP/HTTP JSON trace receiver (POST /v1/traces). */
function startReceiver(spans: ReceivedSpan[]): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        if (req.url !== '/v1/traces' || !String(req.headers['content-type']).includes('json')) {
          res.writeHead(415).end();
          return;
        }
        const payload = JSON.parse(body.toString('utf8')) as {
          resourceSpans: Array<{ resource?: { attributes?: OtlpAttr[] }; scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }>;
        };
        for (const rs of payload.resourceSpans ?? []) {
          const service = String(attrs(rs.resource?.attributes)['service.name'] ?? '');
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              spans.push({
                service,
                traceId: String(s.traceId),
                spanId: String(s.spanId),
                parentSpanId: (s.parentSpanId as string | undefined) ?? '',
                name: String(s.name),
                kind: Number(s.kind),
                attributes: attrs(s.attributes as OtlpAttr[] | undefined),
              });
            }
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve({ server, url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` });
    }),
  );
}

const spans: ReceivedSpan[] = [];
let receiver: { server: Server; url: string };
let platform: Platform;
let seller: ApiClient;
let admin: ApiClient;

beforeAll(async () => {
  receiver = await startReceiver(spans);
  platform = await startPlatform({
    ownDatabases: true,
    // Export every half second rather than every five (the BatchSpanProcessor reads it).
    commonEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '500' },
  });
  seller = ApiClient.as(platform, { sub: `seller-${randomUUID()}`, role: 'seller', store_id: `store-${randomUUID().slice(0, 8)}` });
  admin = ApiClient.as(platform, { sub: `admin-${randomUUID()}`, role: 'admin' });
}, 90_000);

afterAll(async () => {
  // Every span received, for a person to read when an assertion fails (gitignored).
  const dir = join(__dirname, '..', '..', '..', '.test-results', 'artifacts');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tracing-spans.json'), JSON.stringify({ checkoutTraceId, paymentTraceId, spans }, null, 1));
  await platform?.stop();
  await new Promise((r) => receiver?.server.close(r));
});

/** The request path of an HTTP server span (semantic conventions 1.2x: `url.path`). */
const pathOf = (s: ReceivedSpan) => (s.attributes['url.path'] ?? s.attributes['http.target'] ?? '') as string;
const servicesIn = (traceId: string) => new Set(spans.filter((s) => s.traceId === traceId).map((s) => s.service));

let checkoutTraceId = '';
let paymentTraceId = '';

test('one checkout is one trace (cart → order → inventory over gRPC and Kafka), and its payment one trace across all four services', async () => {
  const product = await expectStatus(
    201,
    seller.api.inventory.POST('/api/v1/products', {
      body: {
        product_name: `Traced mug ${randomUUID().slice(0, 6)}`,
        product_description: 'tracing',
        price: '12.50',
        color: 'white',
        brand: 'Sudamall',
        category: 'test',
        has_sizes: false,
        available_quantity: 5,
      },
    }),
  );
  const buyer = ApiClient.as(platform, { sub: `buyer-${randomUUID()}`, role: 'buyer' });
  await expectStatus(201, buyer.api.cart.POST('/api/v1/carts/add', { body: { product_id: product.id, quantity: 1 } }));
  const order = await expectStatus(
    201,
    buyer.api.cart.POST('/api/v1/carts/checkout/full', {
      params: { header: { 'idempotency-key': randomUUID() } },
      body: { shipping_address: '1 Trace Lane' },
    }),
  );
  expect(order.status).toBe('under_paying');

  const created = await expectStatus(201, buyer.api.payment.POST('/api/v1/payments/create', { body: { order_id: order.order_id, gateway: 'test_gateway' } }));
  await expectStatus(200, buyer.api.payment.POST('/api/v1/payments/process', { body: { payment_id: created.payment_id, card_number: '4242424242424242' } }));
  await eventuallyValue(
    () => expectStatus(200, buyer.api.order.GET('/api/v1/orders/{order_id}', { params: { path: { order_id: order.order_id } } })),
    (o) => o.status === 'processing',
    { timeoutMs: 30_000 },
  );

  // The saga keeps the checkout's trace id (the dashboard links it; its JSON API is the
  // dashboard's own, not in the documents, so it is read untyped).
  const saga = await admin.expect(200, 'order', 'GET', `/admin/sagas/api/sagas/${order.order_id}`);
  checkoutTraceId = saga.saga.trace_id;
  expect(checkoutTraceId).toMatch(/^[0-9a-f]{32}$/);

  // The checkout: the buyer's REST call at cart, PlaceOrder at order (gRPC), the reserve command
  // consumed by inventory, its reply consumed by order, with SQL and Redis inside.
  await eventuallyValue(
    async () => spans.filter((s) => s.traceId === checkoutTraceId),
    (list) => {
      const by = (svc: string) => list.filter((s) => s.service === svc);
      return (
        by('cart').some((s) => s.kind === SPAN_KIND_SERVER && pathOf(s).includes('/carts/checkout/')) &&
        by('order').some((s) => s.kind === SPAN_KIND_SERVER && /PlaceOrder/i.test(s.name)) &&
        by('inventory').some((s) => s.kind === SPAN_KIND_CONSUMER) &&
        by('order').some((s) => s.kind === SPAN_KIND_CONSUMER) &&
        list.some((s) => s.attributes['db.system'] === 'postgresql' || s.attributes['db.system.name'] === 'postgresql') &&
        by('inventory').some((s) => s.attributes['db.system'] === 'redis' || s.attributes['db.system.name'] === 'redis')
      );
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );

  // The payment: its REST call at payment, order's consumer of payment.succeeded, inventory's
  // consumer of the confirm command, and cart's consumer of the order's status change.
  const paymentTrace = await eventuallyValue(
    async () => {
      const ids = new Set(
        spans.filter((s) => s.service === 'payment' && s.kind === SPAN_KIND_SERVER && pathOf(s).includes('/payments/process')).map((s) => s.traceId),
      );
      return [...ids].find((id) => SERVICES.every((svc) => servicesIn(id).has(svc))) ?? '';
    },
    (id) => id !== '',
    { timeoutMs: 30_000, intervalMs: 500 },
  );
  paymentTraceId = paymentTrace;
  const inPayment = spans.filter((s) => s.traceId === paymentTraceId);
  for (const svc of SERVICES) expect(inPayment.some((s) => s.service === svc)).toBe(true);
  expect(inPayment.some((s) => s.kind === SPAN_KIND_CONSUMER && s.service === 'cart')).toBe(true);
  expect(inPayment.some((s) => s.kind === SPAN_KIND_CONSUMER && s.service === 'inventory')).toBe(true);
  // Every span of the trace hangs off another span of it, except the one root (the REST call);
  // waited for, since a parent still open is exported after its children.
  const rootsOf = () => {
    const trace = spans.filter((s) => s.traceId === paymentTraceId);
    const ids = new Set(trace.map((s) => s.spanId));
    return trace.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId)).map((r) => `${r.service}:${r.name}:${pathOf(r)}`);
  };
  const roots = await eventuallyValue(
    async () => rootsOf(),
    (r) => r.length === 1,
    { timeoutMs: 15_000, intervalMs: 500 },
  );
  // Named after the route it matched (the typed client sends the documents' paths, without the
  // trailing slash), with the route, the status and the SQL of the request under it.
  expect(roots).toEqual(['payment:POST /api/v1/payments/process/:/api/v1/payments/process']);
  const root = inPayment.find((s) => s.kind === SPAN_KIND_SERVER && pathOf(s) === '/api/v1/payments/process')!;
  expect(root.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/api/v1/payments/process/', 'http.response.status_code': 200 });
  expect(inPayment.some((s) => s.parentSpanId === root.spanId && String(s.attributes['db.system'] ?? s.attributes['db.system.name']) === 'postgresql')).toBe(
    true,
  );
}, 120_000);

function metricNames(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(/[{ ]/)[0]),
  );
}

test('every service serves Prometheus metrics: requests, latency, outbox lag, consumer lag, and its own gauges', async () => {
  const scrape = async (svc: (typeof SERVICES)[number]) => {
    const res = await fetch(`${platform.httpUrl(svc)}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  };
  const common = [
    'http_requests_total',
    'http_request_duration_seconds_bucket',
    'outbox_pending_messages',
    'outbox_oldest_pending_age_seconds',
    'kafka_consumer_lag_messages',
    'kafka_consumer_group_lag_messages',
  ];
  for (const svc of SERVICES) {
    const text = await scrape(svc);
    const names = metricNames(text);
    for (const n of common) expect({ svc, metric: n, present: names.has(n) }).toEqual({ svc, metric: n, present: true });
    // Lag is reported per group, topic and partition, under this run's topic prefix.
    expect(text).toMatch(new RegExp(`kafka_consumer_lag_messages\\{[^}]*topic="${platform.topicPrefix.replace(/\./g, '\\.')}[^"]+"[^}]*partition="\\d+"`));
  }
  const order = await scrape('order');
  expect(order).toMatch(/saga_instances\{[^}]*state="done"[^}]*step="confirm_stock"[^}]*\} [1-9]/);
  expect(order).toContain('# TYPE saga_stuck_instances gauge');
  const inventory = await scrape('inventory');
  for (const n of ['inventory_reservations_held', 'inventory_reserved_quantity', 'inventory_orders_holding_stock']) {
    expect(inventory).toMatch(new RegExp(`^${n}(\\{[^}]*\\})? \\d+`, 'm'));
  }
});
