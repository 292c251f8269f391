// The rate limit behind the real gateway: Debian's nginx running infra/docker/nginx.conf (rendered
// by scripts/lib/gateway.sh as `npm run up` does) in front of the four real services, which trust
// X-Forwarded-For from the gateway's address only (TRUSTED_PROXIES). Clients connect from
// different loopback source addresses (127.0.0.2, 127.0.0.3, ...: the socket's localAddress), so
// nginx sees different clients and forwards each one's address: each gets a bucket of its own,
// a client cannot pick another by sending X-Forwarded-For itself, a percent-encoded spelling of
// a path spends the same budget, and webhooks are never limited.
import { request } from 'node:http';
import { startPlatform, type Platform, startGateway, type Gateway } from './platform';

const MAX = 5;

let platform: Platform;
let gateway: Gateway;

beforeAll(async () => {
  platform = await startPlatform({
    // The gateway listens on 127.0.0.1, so that is the one hop the services believe.
    commonEnv: { RATE_LIMIT_MAX: String(MAX), RATE_LIMIT_WINDOW_MS: '600000', TRUSTED_PROXIES: '127.0.0.1' },
  });
  gateway = await startGateway(platform, 'rate-limit');
}, 120_000);

afterAll(async () => {
  gateway?.stop();
  await platform?.stop();
});

interface Answer {
  status: number;
  code?: string;
}

/** One request through the gateway from a given source address (the path is sent as written). */
function send(from: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: gateway.port, localAddress: from, method, path, headers: { connection: 'close', ...headers }, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let code: string | undefined;
          try {
            code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
          } catch {
            code = undefined;
          }
          resolve({ status: res.statusCode ?? 0, code });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Sequential requests (one caller's requests one after another, as a client sends them). */
async function statuses(n: number, from: string, path: string, headers: Record<string, string> = {}): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) out.push((await send(from, 'GET', path, headers)).status);
  return out;
}

const allowed = Array.from({ length: MAX }, () => 200);

test('two clients behind the gateway get buckets of their own', async () => {
  expect(await statuses(MAX, '127.0.0.2', '/api/v1/products/')).toEqual(allowed);
  const limited = await send('127.0.0.2', 'GET', '/api/v1/products/');
  expect(limited).toEqual({ status: 429, code: 'RATE_LIMITED' });
  // The other client, through the same gateway, is untouched by the first one's spending.
  expect(await statuses(MAX, '127.0.0.3', '/api/v1/products/')).toEqual(allowed);
  expect((await send('127.0.0.3', 'GET', '/api/v1/products/')).status).toBe(429);
});

test('a client cannot pick a fresh bucket by sending X-Forwarded-For itself (the gateway replaces it)', async () => {
  const spoofed = [];
  for (let i = 0; i <= MAX; i += 1)
    spoofed.push(
      (await send('127.0.0.4', 'GET', '/api/v1/products/', { 'x-forwarded-for': `198.51.100.${i + 1}`, 'x-real-ip': `198.51.100.${i + 1}` })).status,
    );
  expect(spoofed).toEqual([...allowed, 429]);
});

test('a percent-encoded path is limited like the plain one (same budget, routed path)', async () => {
  // nginx routes on the decoded path and passes the request line as sent; the service's router
  // decodes it too, and the limit is judged on the route it reached.
  expect(await statuses(MAX, '127.0.0.5', '/%61pi/v1/products/')).toEqual(allowed);
  expect(await send('127.0.0.5', 'GET', '/%61pi/v1/products/')).toEqual({ status: 429, code: 'RATE_LIMITED' });
  expect((await send('127.0.0.5', 'GET', '/api/v1/products/')).status).toBe(429);
});

test('webhooks are never limited: a limited client still reaches the signature check', async () => {
  expect(await statuses(MAX + 1, '127.0.0.6', '/api/v1/products/')).toEqual([...allowed, 429]);
  for (let i = 0; i < 3; i += 1) {
    const hook = await send(
      '127.0.0.6',
      'POST',
      '/api/v1/payments/webhooks/stripe/',
      { 'content-type': 'application/json' },
      '{"id":"evt_x","type":"payment_intent.succeeded"}',
    );
    expect(hook).toEqual({ status: 400, code: 'INVALID_SIGNATURE' });
  }
});
