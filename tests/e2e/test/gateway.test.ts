// The API gateway's routing (infra/docker/nginx.conf, the file compose mounts and the local
// launcher runs) in front of the four real services: Debian's nginx on a free port, rendered by
// scripts/lib/gateway.sh exactly as `npm run up` does. Each public path must reach the service
// that owns it; the gateway's access log names the upstream that answered each request, so a
// path sent to the wrong service fails even where two services would answer alike.
import { randomUUID } from 'node:crypto';
import { connectLive, testToken } from '@sudamall/shared/testing';
import { startPlatform, type Platform, type ServiceName, startGateway, type Gateway } from './platform';

let platform: Platform;
let gateway: Gateway;

const portOf = (service: ServiceName) => new URL(platform.httpUrl(service)).port;

beforeAll(async () => {
  platform = await startPlatform();
  gateway = await startGateway(platform, 'gateway');
}, 120_000);

afterAll(async () => {
  gateway?.stop();
  await platform?.stop();
});

/** Sends one request through the gateway; returns the response and the upstream nginx logged for it. */
async function viaGateway(path: string, role: 'buyer' | 'seller' | 'admin' = 'buyer') {
  const probe = randomUUID();
  const url = `${gateway.url}${path}${path.includes('?') ? '&' : '?'}probe=${probe}`;
  const res = await fetch(url, { headers: { authorization: `Bearer ${testToken({ sub: `${role}-${probe}`, role })}` } });
  const text = await res.text();
  // nginx writes the access log line when the request completes; give it a moment.
  let line: string | undefined;
  for (let i = 0; i < 50 && !line; i++) {
    line = gateway
      .accessLog()
      .split('\n')
      .find((l) => l.includes(probe));
    if (!line) await new Promise((r) => setTimeout(r, 20));
  }
  const upstream = /upstream=(\S+)/.exec(line ?? '')?.[1];
  let body: any;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, body, upstream };
}

const owned: Array<[path: string, owner: ServiceName, expectedStatus: number]> = [
  ['/api/v1/products/', 'inventory', 200],
  ['/api/v1/carts/', 'cart', 200],
  ['/api/v1/orders/', 'order', 200],
  ['/api/v1/accounts/order-history/', 'order', 200],
  ['/api/v1/accounts/profile/', 'order', 200],
  ['/api/v1/accounts/addresses/', 'order', 200],
  ['/api/v1/payments/config/', 'payment', 200],
];

test.each(owned)('%s reaches %s and is answered by it', async (path, owner, expectedStatus) => {
  const res = await viaGateway(path);
  expect(res.upstream).toBe(`127.0.0.1:${portOf(owner)}`);
  expect(res.status).toBe(expectedStatus);
  expect(typeof res.body).toBe('object');
});

// Plain (non-upgrade) requests on the live-update and admin prefixes: whatever the owner answers
// (a page, its JSON error, a refusal to serve a WebSocket path over plain HTTP) must be the
// owner's, never the gateway's.
const reserved: Array<[path: string, owner: ServiceName]> = [
  ['/ws/cart/updates', 'cart'],
  ['/ws/orders/updates', 'order'],
  ['/ws/payments/updates', 'payment'],
  ['/admin/sagas', 'order'],
];

test.each(reserved)('%s reaches %s (its own answer comes back)', async (path, owner) => {
  const res = await viaGateway(path, 'admin');
  expect(res.upstream).toBe(`127.0.0.1:${portOf(owner)}`);
  expect(res.status).toBeLessThan(500);
  // Not one of nginx's own error pages (those name nginx in their HTML).
  expect(typeof res.body === 'string' ? res.body : JSON.stringify(res.body ?? '')).not.toMatch(/<center>nginx/);
});

test('saved addresses and gateway settings through the gateway: each answered by its owner', async () => {
  const buyerToken = `Bearer ${testToken({ sub: `buyer-${randomUUID()}`, role: 'buyer' })}`;
  const created = await fetch(`${gateway.url}/api/v1/accounts/addresses/`, {
    method: 'POST',
    headers: { authorization: buyerToken, 'content-type': 'application/json' },
    body: JSON.stringify({ full_name: 'Amna Osman', line1: '12 Nile Street', city: 'Khartoum', country: 'Sudan' }),
  });
  expect(created.status).toBe(201);
  const address = (await created.json()) as { address_id: string; is_default: boolean };
  expect(address.is_default).toBe(true);
  const listed = await fetch(`${gateway.url}/api/v1/accounts/addresses/`, { headers: { authorization: buyerToken } });
  expect(((await listed.json()) as { items: Array<{ address_id: string }> }).items.map((a) => a.address_id)).toEqual([address.address_id]);
  // Payment owns /payments/gateways/{name}/: an unknown name is its 404 (no fee changes on the shared database).
  const adminToken = `Bearer ${testToken({ sub: `admin-${randomUUID()}`, role: 'admin' })}`;
  const settings = await fetch(`${gateway.url}/api/v1/payments/gateways/no_such_gateway/`, {
    method: 'PUT',
    headers: { authorization: adminToken, 'content-type': 'application/json' },
    body: JSON.stringify({ fixed_fee: '1.00' }),
  });
  expect(settings.status).toBe(404);
  expect(((await settings.json()) as { error: { code: string } }).error.code).toBe('GATEWAY_NOT_FOUND');
});

test('a path no service owns is refused by the gateway itself, without touching a service', async () => {
  const res = await viaGateway('/api/v1/unknown-area/');
  expect(res.status).toBe(404);
  expect(res.upstream).toBe('-');
  expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: 'no service owns this path' } });
});

test('a request body and the caller identity pass through the gateway (POST through to the owner)', async () => {
  const res = await fetch(`${gateway.url}/api/v1/carts/add/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${testToken({ sub: `buyer-${randomUUID()}`, role: 'buyer' })}`, 'content-type': 'application/json' },
    body: JSON.stringify({ product_id: randomUUID(), quantity: 0 }),
  });
  // quantity 0 is the caller's mistake: the cart service's own validation answers 400.
  expect(res.status).toBe(400);
  const body = (await res.json()) as { error: { code: string } };
  expect(body.error.code).toBe('VALIDATION_FAILED');
});

test("a method the path does not declare comes back as the owner's 405 with its Allow header", async () => {
  const res = await fetch(`${gateway.url}/api/v1/carts/add/`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${testToken({ sub: `buyer-${randomUUID()}`, role: 'buyer' })}` },
  });
  expect(res.status).toBe(405);
  expect(res.headers.get('allow')).toBe('POST');
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('METHOD_NOT_ALLOWED');
});

test('a WebSocket upgrade passes through the gateway to its owner (/ws/orders/{user_id}/)', async () => {
  const userId = `buyer-${randomUUID()}`;
  const wsUrl = gateway.url.replace(/^http/, 'ws');
  const live = await connectLive(wsUrl, `/ws/orders/${userId}/`, { token: testToken({ sub: userId, role: 'buyer' }) });
  live.close();
  await live.closed;
  // nginx logs the upgraded request when the tunnel closes: 101 from the order service.
  let line: string | undefined;
  for (let i = 0; i < 100 && !line; i++) {
    line = gateway
      .accessLog()
      .split('\n')
      .find((l) => l.includes(`/ws/orders/${userId}/`));
    if (!line) await new Promise((r) => setTimeout(r, 20));
  }
  expect(line).toMatch(/" 101 /);
  expect(/upstream=(\S+)/.exec(line ?? '')?.[1]).toBe(`127.0.0.1:${portOf('order')}`);
});
