// Property-based fuzzing of every REST endpoint of the four services, driven by their own
// OpenAPI documents: for each operation, fast-check builds requests from the documented
// parameters and body with valid values mixed with hostile ones (injection and unicode strings,
// huge, negative and fractional numbers, wrong types, unknown fields, deep JSON, oversized
// bodies) under random callers. Whatever comes in: never a 5xx, never internals in the body,
// every error in the stable `{ error: { code, message } }` shape, and a rejected request
// changes nothing (stock, carts, orders, payments read back the same).
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { ApiClient, startPlatform, type Platform, type ServiceName } from './platform';

const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 12);
// A fixed seed per run keeps a failure reproducible (FUZZ_SEED=<seed printed by fast-check>).
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;

const DOCS: Array<[ServiceName, string]> = [
  ['inventory', '/api/v1/products/openapi.json'],
  ['cart', '/api/v1/carts/openapi.json'],
  ['order', '/api/v1/orders/openapi.json'],
  ['payment', '/api/v1/payments/openapi.json'],
];

let platform: Platform;
let seller: ApiClient;
let buyer: ApiClient;
let admin: ApiClient;
let stranger: ApiClient;
const ids: Record<string, string> = {};

interface Operation {
  service: ServiceName;
  method: string;
  path: string;
  parameters: Array<{ in: string; name: string; required?: boolean; schema?: Schema }>;
  body?: Schema;
}
type Schema = Record<string, any>;
const operations: Operation[] = [];

beforeAll(async () => {
  platform = await startPlatform({ ownDatabases: true });
  seller = ApiClient.as(platform, { sub: `seller-${randomUUID()}`, role: 'seller', store_id: `store-${randomUUID().slice(0, 8)}` });
  buyer = ApiClient.as(platform, { sub: `buyer-${randomUUID()}`, role: 'buyer' });
  admin = ApiClient.as(platform, { sub: `admin-${randomUUID()}`, role: 'admin' });
  stranger = ApiClient.as(platform, { sub: `seller-${randomUUID()}`, role: 'seller', store_id: `store-${randomUUID().slice(0, 8)}` });

  const product = await seller.expect(201, 'inventory', 'POST', '/api/v1/products/', {
    product_name: 'Fuzz target',
    price: '10.00',
    has_sizes: true,
    sizes: [{ size: 'M', available_quantity: 50 }],
  });
  ids.product = product.id;
  const order = await buyer.expect(
    201,
    'cart',
    'POST',
    '/api/v1/carts/checkout/single/',
    {
      product_id: product.id,
      quantity: 1,
      size: 'M',
      shipping_address: '1 Fuzz St',
    },
    { 'idempotency-key': randomUUID() },
  );
  ids.order = order.order_id;
  ids.payment = (await buyer.expect(201, 'payment', 'POST', '/api/v1/payments/create/', { order_id: order.order_id, gateway: 'test_gateway' })).payment_id;
  await buyer.expect(201, 'cart', 'POST', '/api/v1/carts/add/', { product_id: product.id, quantity: 2, size: 'M' });
  const cart = await buyer.expect(200, 'cart', 'GET', '/api/v1/carts/');
  ids.cartItem = cart.items[0].id ?? cart.items[0].cart_item_id;

  for (const [service, path] of DOCS) {
    const doc = (await (await fetch(`${platform.httpUrl(service)}${path}`)).json()) as { paths: Record<string, unknown> };
    for (const [p, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        operations.push({
          service,
          method: method.toUpperCase(),
          path: p,
          parameters: op.parameters ?? [],
          body: op.requestBody?.content?.['application/json']?.schema,
        });
      }
    }
  }
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

// ---------- values ----------

const HOSTILE_STRINGS = [
  "' OR '1'='1",
  "'; DROP TABLE products; --",
  '" OR ""="',
  '1; SELECT pg_sleep(5)',
  "admin'--",
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '%00',
  '\u0000',
  '\u202e\u0000\ufeff',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '$where',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-0.01',
  '12,50',
  '1e3',
  '0.001',
  '99999999999999999999.99',
  '-1',
  '1.5',
  '0',
  ' ',
  '',
  'ß'.repeat(50),
  '🦄'.repeat(300),
  '日本語テキスト',
  'a'.repeat(10_000),
  '\ud800',
  'Robert"); DROP TABLE carts;--',
  'x'.repeat(201),
];
const HOSTILE_NUMBERS = [-1, 0, 0.5, -0.01, 1.005, 2 ** 31, 2 ** 53 + 2, 1e21, 1e308, -1e308, Number.MAX_SAFE_INTEGER, -2147483649];

const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.constantFrom(...HOSTILE_NUMBERS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: hostileScalar },
  { weight: 1, arbitrary: fc.array(hostileScalar, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), hostileScalar, { maxKeys: 4 }) },
);

/** A real id where the name says one is wanted (so requests reach the handlers), else a made-up one. */
function idFor(name: string): fc.Arbitrary<string> {
  const real = /cart_item/.test(name)
    ? ids.cartItem
    : /product/.test(name)
      ? ids.product
      : /order/.test(name)
        ? ids.order
        : /payment/.test(name)
          ? ids.payment
          : name === 'id'
            ? ids.product
            : undefined;
  return fc.oneof(...(real ? [fc.constant(real)] : []), fc.uuid(), fc.constantFrom(...HOSTILE_STRINGS.filter((s) => s.length < 300)));
}

/** A value the schema accepts (mostly), so the other fields' hostile values are what is tested. */
function validFor(schema: Schema | undefined, name: string, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return hostileValue;
  if (schema.anyOf || schema.oneOf) return fc.oneof(...(schema.anyOf ?? schema.oneOf).map((s: Schema) => validFor(s, name, depth + 1)));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.const !== undefined) return fc.constant(schema.const);
  switch (schema.type) {
    case 'string':
      if (schema.pattern && /\\d\{0,2\}|\\\.|\[0-9\]/.test(schema.pattern) && /money|price|amount/.test(name)) return fc.constantFrom('10.00', '0.01', '5');
      if (schema.format === 'uuid' || /(^|_)id$/.test(name)) return idFor(name);
      if (/card_number/.test(name)) return fc.constantFrom('4242424242424242', '4000000000000002');
      if (/size/.test(name)) return fc.constantFrom('M', 'L');
      if (/price|amount/.test(name)) return fc.constantFrom('10.00', '0.01');
      if (/status/.test(name)) return fc.constantFrom('shipped', 'cancelled', 'pending', 'processing');
      if (/gateway/.test(name)) return fc.constant('test_gateway');
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.max(schema.minLength ?? 0, Math.min(schema.maxLength ?? 30, 30)) });
    case 'integer': {
      const min = Math.max(schema.minimum ?? -5, -1_000_000);
      return fc.integer({ min, max: Math.max(min, Math.min(schema.maximum ?? min + 10, min + 10)) });
    }
    case 'number':
      return fc.double({ min: -5, max: 5, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(validFor(schema.items, name, depth + 1), { maxLength: 3 });
    case 'object':
      return objectFor(schema, depth + 1);
    default:
      return hostileValue;
  }
}

/** An object over the schema's properties: each present or not, valid or hostile; sometimes extra keys. */
function objectFor(schema: Schema, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const props = Object.entries<Schema>(schema.properties ?? {});
  const field = (name: string, s: Schema) => fc.oneof({ weight: 5, arbitrary: validFor(s, name, depth) }, { weight: 2, arbitrary: hostileValue });
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, s] of props) record[name] = field(name, s);
  return fc
    .tuple(
      props.length ? fc.record(record, { requiredKeys: [] }) : fc.constant({}),
      fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'store_id', 'user_id', 'role', 'status', 'extra'), hostileValue, { maxKeys: 2 }),
    )
    .map(([known, extra]) => ({ ...extra, ...known }));
}

const bodyFor = (op: Operation): fc.Arbitrary<unknown> =>
  op.body
    ? fc.oneof({ weight: 8, arbitrary: objectFor(op.body) }, { weight: 1, arbitrary: hostileValue })
    : fc.oneof(fc.constant(undefined), fc.constant({}), hostileValue);

// The fixture's buyer (whose accepted requests really change the cart, order and payment), a
// seller of another store, nobody, and a forged token. Not the owning seller or an admin: their
// accepted deletes would take the fixture away for every later request.
const CALLERS = ['buyer', 'buyer', 'stranger', 'anonymous', 'forged'] as const;
function authHeader(caller: (typeof CALLERS)[number] | 'seller' | 'admin'): Record<string, string> {
  switch (caller) {
    case 'buyer':
      return { authorization: `Bearer ${buyer.token}` };
    case 'seller':
      return { authorization: `Bearer ${seller.token}` };
    case 'admin':
      return { authorization: `Bearer ${admin.token}` };
    case 'stranger':
      return { authorization: `Bearer ${stranger.token}` };
    case 'forged':
      return { authorization: `Bearer ${buyer.token.slice(0, -4)}AAAA` };
    default:
      return {};
  }
}

interface FuzzRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

function requestFor(op: Operation): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const pathArb = fc.record(Object.fromEntries(pathParams.map((p) => [p.name, fc.oneof(idFor(p.name), validFor(p.schema, p.name).map(String))])));
  const queryArb = fc.record(Object.fromEntries(queryParams.map((p) => [p.name, fc.oneof(validFor(p.schema, p.name), hostileScalar).map((v) => String(v))])), {
    requiredKeys: [],
  });
  return fc
    .record({ path: pathArb, query: queryArb, body: bodyFor(op), caller: fc.constantFrom(...CALLERS), idem: fc.boolean() })
    .map(({ path, query, body, caller, idem }) => {
      let url = op.path;
      for (const [k, v] of Object.entries(path)) url = url.replace(`{${k}}`, encodeURIComponent(Buffer.from(v).toString()));
      const qs = new URLSearchParams(query as Record<string, string>).toString();
      const headers: Record<string, string> = { ...authHeader(caller), ...(idem ? { 'idempotency-key': randomUUID() } : {}) };
      // fetch refuses a GET with a body
      const sent = op.method === 'GET' ? undefined : body;
      if (sent !== undefined) headers['content-type'] = 'application/json';
      return { url: qs ? `${url}?${qs}` : url, method: op.method, headers, body: sent === undefined ? undefined : JSON.stringify(sent) };
    });
}

// ---------- checks ----------

async function send(op: Operation, req: FuzzRequest): Promise<{ status: number; text: string }> {
  const res = await fetch(`${platform.httpUrl(op.service)}${req.url}`, { method: req.method, headers: req.headers, body: req.body });
  return { status: res.status, text: await res.text() };
}

/**
 * A request that declares an oversized body (Content-Length) and sends only its first part. The
 * service refuses it from the header alone; sending the whole body instead races the refusal: the
 * service answers 413 and closes a connection it has not read, and the client's write then fails
 * (EPIPE, or a reset that discards the answer) before the answer is read.
 */
function sendDeclaredOversized(op: Operation, req: FuzzRequest, declaredBytes: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${platform.httpUrl(op.service)}${req.url}`);
    const outgoing = httpRequest(url, { method: req.method, headers: { ...req.headers, 'content-length': String(declaredBytes) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        outgoing.destroy();
        resolve({ status: res.statusCode ?? 0, text });
      });
    });
    outgoing.setTimeout(15_000, () => outgoing.destroy(new Error(`no answer to a declared ${declaredBytes}-byte body within 15 s`)));
    outgoing.on('error', reject);
    outgoing.write((req.body ?? '').slice(0, 64 * 1024));
  });
}

const LEAKS = /\n\s+at |node_modules|prisma|PrismaClient|postgres(ql)?:\/\/|SELECT .* FROM|stack|\.ts:\d+|\.js:\d+/i;

function checkResponse(op: Operation, req: FuzzRequest, res: { status: number; text: string }): void {
  const where = `${req.method} ${req.url} ${req.body?.slice(0, 300) ?? ''} → ${res.status} ${res.text.slice(0, 500)}`;
  if (res.status >= 500) throw new Error(`server error: ${where}`);
  if (res.status >= 400) {
    let body: any;
    try {
      body = JSON.parse(res.text);
    } catch {
      throw new Error(`error body is not JSON: ${where}`);
    }
    const shape =
      body &&
      typeof body.error === 'object' &&
      typeof body.error.code === 'string' &&
      /^[A-Z][A-Z0-9_]*$/.test(body.error.code) &&
      typeof body.error.message === 'string';
    if (!shape) throw new Error(`error body is not { error: { code, message } }: ${where}`);
    if (LEAKS.test(body.error.message)) throw new Error(`error message leaks internals: ${where}`);
  }
}

/** What a request could wrongly change: the fixture's stock, cart, orders and payment. */
async function snapshot(): Promise<string> {
  const [stock, cart, orders, payment] = await Promise.all([
    seller.request('inventory', 'GET', `/api/v1/products/${ids.product}/stock/`),
    buyer.request('cart', 'GET', '/api/v1/carts/'),
    buyer.request('order', 'GET', `/api/v1/orders/${ids.order}/`),
    buyer.request('payment', 'GET', `/api/v1/payments/detail/${ids.payment}/`),
  ]);
  const order = orders.body ?? {};
  return JSON.stringify({
    stock: stock.body,
    cart: (cart.body?.items ?? []).map((i: any) => [i.id, i.quantity, i.size]),
    order: [order.status, order.total_amount, order.items?.length],
    payment: [payment.body?.status, payment.body?.total_amount],
  });
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * After an accepted write, waits until its effects through Kafka (a payment confirming the order
 * and selling the stock, a cancellation releasing it) have landed, so the next request's
 * before/after comparison sees only what that request did.
 */
async function settled(): Promise<string> {
  let previous = await snapshot();
  for (let i = 0, quiet = 0; i < 30 && quiet < 2; i += 1) {
    await new Promise((r) => setTimeout(r, 300));
    const current = await snapshot();
    quiet = current === previous ? quiet + 1 : 0;
    previous = current;
  }
  return previous;
}

test("the OpenAPI documents list every service's endpoints", () => {
  const byService = (s: ServiceName) => operations.filter((o) => o.service === s).length;
  for (const [s] of DOCS) expect(byService(s)).toBeGreaterThan(2);
});

test('random and hostile requests to every endpoint: no 5xx, stable error bodies, no state change when rejected', async () => {
  let requests = 0;
  const tally: Record<string, number> = {};
  for (const op of operations) {
    await fc.assert(
      fc.asyncProperty(requestFor(op), async (req) => {
        const before = MUTATING.has(op.method) ? await snapshot() : undefined;
        const res = await send(op, req);
        requests += 1;
        tally[res.status] = (tally[res.status] ?? 0) + 1;
        checkResponse(op, req, res);
        if (before !== undefined && res.status >= 400) {
          const after = await snapshot();
          if (after !== before) throw new Error(`rejected ${req.method} ${req.url} (${res.status}) changed state:\n${before}\n${after}`);
        }
        if (before !== undefined && res.status < 300) await settled();
      }),
      { numRuns: RUNS_PER_OPERATION, seed: SEED, endOnFailure: true },
    );
  }
  // What the fuzzing reached: mostly refusals, some accepted writes (the fixture's buyer).
  console.log(`fuzz: ${operations.length} operations, ${requests} requests, seed ${SEED}, statuses ${JSON.stringify(tally)}`);
  expect(requests).toBeGreaterThanOrEqual(operations.length * RUNS_PER_OPERATION);
}, 120_000);

test('oversized, deeply nested, malformed and mistyped bodies are clear 4xx errors on every write endpoint', async () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  const deepObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
  const bodies: Array<[string, string, string]> = [
    ['oversized', JSON.stringify({ product_name: 'x'.repeat(3 * 1024 * 1024) }), 'application/json'],
    ['deep array', deep(50_000), 'application/json'],
    ['deep object', deepObject(20_000), 'application/json'],
    ['malformed', '{"quantity": 1,', 'application/json'],
    ['empty', '', 'application/json'],
    ['not json', 'quantity=1', 'application/x-www-form-urlencoded'],
    ['text', 'hello', 'text/plain'],
    ['prototype pollution', '{"__proto__":{"role":"admin"},"constructor":{"prototype":{"admin":true}}}', 'application/json'],
  ];
  // Endpoints that take a body (a body-less DELETE would rightly succeed with a text body it ignores).
  const writes = operations.filter((o) => MUTATING.has(o.method) && o.body);
  for (const op of writes) {
    const url = op.path.replace(/\{(\w+)\}/g, (_m, name: string) =>
      /cart_item/.test(name) ? ids.cartItem : /order/.test(name) ? ids.order : /payment/.test(name) ? ids.payment : ids.product,
    );
    for (const caller of ['buyer', 'seller', 'admin'] as const) {
      const before = await snapshot();
      for (const [kind, body, type] of bodies) {
        const req = { url, method: op.method, headers: { ...authHeader(caller), 'content-type': type }, body };
        const res = kind === 'oversized' ? await sendDeclaredOversized(op, req, Buffer.byteLength(body)) : await send(op, req);
        checkResponse(op, { ...req, body: `<${kind}>` }, res);
        if (kind === 'oversized') expect([400, 401, 403, 404, 413]).toContain(res.status);
      }
      expect(await snapshot()).toBe(before);
    }
  }
}, 120_000);

// Found by this file: an id with a non-ASCII character, passed by payment to order over gRPC,
// came back as ORDER_NOT_FOUND with the id in the details, which grpc-js refused as metadata by
// throwing inside the error path: the order process crashed.
test('unicode in ids that travel over gRPC is a 4xx, and every service stays up', async () => {
  for (const orderId of ['\u{F2750}', '日本', 'é', '🦄', '\u007f']) {
    const direct = await buyer.request('payment', 'POST', '/api/v1/payments/create/', { order_id: orderId, gateway: 'test_gateway' });
    expect(direct.status).toBeGreaterThanOrEqual(400);
    expect(direct.status).toBeLessThan(500);
  }
  for (const s of ['inventory', 'cart', 'order', 'payment'] as const) {
    expect(platform.pid(s)).toBeDefined();
    expect((await fetch(`${platform.httpUrl(s)}/readyz`)).status).toBe(200);
  }
});
