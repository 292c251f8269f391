// The client's own behaviour against a real HTTP server on port 0 standing in for the services
// (what each service answers is the e2e suites' business): one base URL or one per service, the
// bearer token (fixed or asked per request), typed headers such as Idempotency-Key, and error
// answers typed as ErrorBody and thrown by ok() as ApiError.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, createSudamallClient, ok, SERVICES } from '../src';

interface Seen {
  server: string;
  method: string;
  url: string;
  authorization?: string;
  idempotencyKey?: string;
  body: unknown;
}

const seen: Seen[] = [];
const servers: Server[] = [];
const urls: Record<string, string> = {};

async function readBody(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : undefined;
}

async function start(name: string): Promise<string> {
  const server = createServer((req, res) => void answer(name, req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function answer(name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  seen.push({
    server: name,
    method: req.method ?? '',
    url: req.url ?? '',
    authorization: req.headers.authorization,
    idempotencyKey: req.headers['idempotency-key'] as string | undefined,
    body: await readBody(req),
  });
  res.setHeader('content-type', 'application/json');
  if (req.url?.startsWith('/api/v1/carts/checkout')) {
    res.statusCode = 409;
    res.end(JSON.stringify({ error: { code: 'PRICES_CHANGED', message: 'a price changed', details: { items: [] } } }));
  } else if (req.url === '/api/v1/carts/count') {
    res.statusCode = 503;
    res.end('<html>bad gateway</html>');
  } else {
    res.statusCode = 200;
    res.end(JSON.stringify({ count: 3 }));
  }
}

beforeAll(async () => {
  urls.gateway = await start('gateway');
  for (const s of SERVICES) urls[s] = await start(s);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});
beforeEach(() => {
  seen.length = 0;
});

test('one base URL (the gateway) serves every service; the token is sent as a bearer', async () => {
  const api = createSudamallClient({ baseUrl: urls.gateway, token: 'jwt-1' });
  await api.cart.GET('/api/v1/carts');
  await api.order.GET('/api/v1/orders/{order_id}', { params: { path: { order_id: 'o 1' } } });
  expect(seen.map((s) => [s.server, s.method, s.url, s.authorization])).toEqual([
    ['gateway', 'GET', '/api/v1/carts', 'Bearer jwt-1'],
    ['gateway', 'GET', '/api/v1/orders/o%201', 'Bearer jwt-1'],
  ]);
});

test('each service at its own base URL; a token function is asked before every request', async () => {
  let n = 0;
  const api = createSudamallClient({
    baseUrl: { inventory: urls.inventory, cart: urls.cart, order: urls.order, payment: urls.payment },
    token: async () => `jwt-${++n}`,
  });
  await api.inventory.GET('/api/v1/products/{id}/stock', { params: { path: { id: 'p-1' } } });
  await api.payment.POST('/api/v1/payments/create', { body: { order_id: 'o-1', gateway: 'test_gateway' } });
  expect(seen.map((s) => [s.server, s.url, s.authorization, s.body])).toEqual([
    ['inventory', '/api/v1/products/p-1/stock', 'Bearer jwt-1', undefined],
    ['payment', '/api/v1/payments/create', 'Bearer jwt-2', { order_id: 'o-1', gateway: 'test_gateway' }],
  ]);
});

test('no token, no Authorization header (public endpoints)', async () => {
  const api = createSudamallClient({ baseUrl: urls.gateway });
  await api.inventory.GET('/api/v1/products/{id}', { params: { path: { id: 'p-1' } } });
  expect(seen[0]?.authorization).toBeUndefined();
});

test('Idempotency-Key is a typed header parameter; an error answer is the ErrorBody', async () => {
  const api = createSudamallClient({ baseUrl: urls.gateway, token: 'jwt-1' });
  const res = await api.cart.POST('/api/v1/carts/checkout/full', {
    params: { header: { 'idempotency-key': 'key-1' } },
    body: { shipping_address: '1 Nile St' },
  });
  expect(seen[0]).toMatchObject({ idempotencyKey: 'key-1', body: { shipping_address: '1 Nile St' } });
  expect(res.response.status).toBe(409);
  expect(res.data).toBeUndefined();
  expect(res.error?.error.code).toBe('PRICES_CHANGED');
});

test('ok() answers the data, or throws ApiError with the status and ErrorBody (none when the body is not one)', async () => {
  const api = createSudamallClient({ baseUrl: urls.gateway, token: 'jwt-1' });
  expect(await ok(api.cart.GET('/api/v1/carts'))).toEqual({ count: 3 });

  const refused = await ok(api.cart.POST('/api/v1/carts/checkout/full', { body: { shipping_address: 'a' } })).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(ApiError);
  expect(refused).toMatchObject({ status: 409, code: 'PRICES_CHANGED', url: `${urls.gateway}/api/v1/carts/checkout/full` });
  expect((refused as ApiError).message).toContain('409 PRICES_CHANGED a price changed');

  const proxied = await ok(api.cart.GET('/api/v1/carts/count')).catch((e: unknown) => e);
  expect(proxied).toMatchObject({ status: 503, body: undefined, code: undefined });
});
