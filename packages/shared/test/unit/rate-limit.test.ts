import Fastify, { type FastifyInstance } from 'fastify';
import { signToken } from '../../src/auth';
import { ConfigError } from '../../src/config';
import { registerErrorHandler } from '../../src/http/error-handler';
import {
  DEFAULT_PRODUCTION_RATE_LIMIT_MAX,
  rateLimitOptionsFromEnv,
  rateLimitPlugin,
  trustProxyFromEnv,
  type RateLimitOptions,
} from '../../src/http/rate-limit';

const SECRET = 'rate-limit-test-secret-0123456789';

async function buildApp(opts: RateLimitOptions, env: Record<string, string> = {}): Promise<FastifyInstance> {
  // As the services build theirs: both spellings of a path, the gateway trusted.
  const app = Fastify({ logger: false, routerOptions: { ignoreTrailingSlash: true }, trustProxy: trustProxyFromEnv(env) });
  registerErrorHandler(app);
  await app.register(rateLimitPlugin, { auth: { secret: SECRET }, ...opts });
  app.get('/api/v1/things', async () => ({ ok: true }));
  app.get('/api/v1/things/strict', { config: { rateLimit: { max: 1, timeWindow: 60_000 } } }, async () => ({ ok: true }));
  app.get('/api/v1/things/unlimited', { config: { rateLimit: false } }, async () => ({ ok: true }));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.post('/api/v1/payments/webhooks/stripe/', async () => ({ received: true }));
  await app.ready();
  return app;
}

const bearer = (sub: string) => ({ authorization: `Bearer ${signToken({ sub, role: 'buyer' }, { secret: SECRET })}` });

async function statuses(app: FastifyInstance, n: number, url: string, headers: Record<string, string> = {}, remoteAddress = '10.0.0.1') {
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) out.push((await app.inject({ method: 'GET', url, headers, remoteAddress })).statusCode);
  return out;
}

describe('rateLimitPlugin', () => {
  it('answers 429 RATE_LIMITED in the stable error body with Retry-After once a caller spends its budget', async () => {
    const app = await buildApp({ max: 2, windowMs: 60_000 });
    try {
      expect(await statuses(app, 2, '/api/v1/things')).toEqual([200, 200]);
      const res = await app.inject({ method: 'GET', url: '/api/v1/things', remoteAddress: '10.0.0.1' });
      expect(res.statusCode).toBe(429);
      expect(res.json()).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringMatching(/^too many requests/) } });
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      // another address has its own budget
      expect(await statuses(app, 1, '/api/v1/things', {}, '10.0.0.2')).toEqual([200]);
    } finally {
      await app.close();
    }
  });

  it('counts an authenticated caller by user id, whatever address it comes from, and a forged token by address', async () => {
    const app = await buildApp({ max: 2, windowMs: 60_000 });
    try {
      expect(await statuses(app, 1, '/api/v1/things', bearer('alice'), '10.0.0.1')).toEqual([200]);
      expect(await statuses(app, 2, '/api/v1/things', bearer('alice'), '10.0.0.9')).toEqual([200, 429]);
      // bob behind alice's first address is not throttled by her
      expect(await statuses(app, 2, '/api/v1/things', bearer('bob'), '10.0.0.1')).toEqual([200, 200]);
      // a token signed with another secret that claims to be carol does not spend carol's budget
      const forged = { authorization: `Bearer ${signToken({ sub: 'carol', role: 'buyer' }, { secret: 'another-secret-0123456789' })}` };
      expect(await statuses(app, 3, '/api/v1/things', forged, '10.0.0.3')).toEqual([200, 200, 429]);
      expect(await statuses(app, 1, '/api/v1/things', bearer('carol'), '10.0.0.3')).toEqual([200]);
    } finally {
      await app.close();
    }
  });

  it('takes per-route overrides from the route config and leaves non-API paths alone', async () => {
    const app = await buildApp({ max: 3, windowMs: 60_000 });
    try {
      expect(await statuses(app, 2, '/api/v1/things/strict')).toEqual([200, 429]);
      expect(await statuses(app, 5, '/api/v1/things/unlimited')).toEqual([200, 200, 200, 200, 200]);
      expect(await statuses(app, 5, '/healthz')).toEqual([200, 200, 200, 200, 200]);
    } finally {
      await app.close();
    }
  });

  it('registers nothing when the maximum is 0 (the default)', async () => {
    const app = await buildApp(rateLimitOptionsFromEnv({}));
    try {
      expect(await statuses(app, 4, '/api/v1/things/strict')).toEqual([200, 200, 200, 200]);
    } finally {
      await app.close();
    }
  });

  it('reads RATE_LIMIT_MAX / RATE_LIMIT_WINDOW_MS and refuses bad values', () => {
    expect(rateLimitOptionsFromEnv({})).toEqual({ max: 0, windowMs: 60_000 });
    expect(rateLimitOptionsFromEnv({ RATE_LIMIT_MAX: '100', RATE_LIMIT_WINDOW_MS: '1000' })).toEqual({ max: 100, windowMs: 1000 });
    expect(() => rateLimitOptionsFromEnv({ RATE_LIMIT_MAX: '-1' })).toThrow(ConfigError);
    expect(() => rateLimitOptionsFromEnv({ RATE_LIMIT_WINDOW_MS: 'soon' })).toThrow(ConfigError);
  });

  it('is on in production unless RATE_LIMIT_MAX says otherwise', () => {
    expect(rateLimitOptionsFromEnv({ NODE_ENV: 'production' })).toEqual({ max: DEFAULT_PRODUCTION_RATE_LIMIT_MAX, windowMs: 60_000 });
    expect(rateLimitOptionsFromEnv({ NODE_ENV: 'production', RATE_LIMIT_MAX: '0' }).max).toBe(0);
    expect(rateLimitOptionsFromEnv({ NODE_ENV: 'test' }).max).toBe(0);
  });

  it('reads TRUSTED_PROXIES (default loopback) and refuses what is not an address, a range or a named range', () => {
    expect(trustProxyFromEnv({})).toEqual(['loopback']);
    expect(trustProxyFromEnv({ TRUSTED_PROXIES: '172.28.0.10, 10.0.0.0/8,::1' })).toEqual(['172.28.0.10', '10.0.0.0/8', '::1']);
    for (const bad of ['gateway', '10.0.0.0/33', '10.0.0.1/8/2', ',']) {
      expect(() => trustProxyFromEnv({ TRUSTED_PROXIES: bad })).toThrow(ConfigError);
    }
  });

  it('behind the trusted gateway, counts each client by the address the gateway forwards', async () => {
    const app = await buildApp({ max: 2, windowMs: 60_000 }, { TRUSTED_PROXIES: '10.9.0.1' });
    try {
      const from = (client: string) => ({ 'x-forwarded-for': client });
      expect(await statuses(app, 3, '/api/v1/things', from('198.51.100.7'), '10.9.0.1')).toEqual([200, 200, 429]);
      // another client through the same gateway has its own budget
      expect(await statuses(app, 2, '/api/v1/things', from('198.51.100.8'), '10.9.0.1')).toEqual([200, 200]);
    } finally {
      await app.close();
    }
  });

  it('ignores X-Forwarded-For from anyone but the gateway: a direct caller cannot pick a fresh address per request', async () => {
    const app = await buildApp({ max: 2, windowMs: 60_000 }, { TRUSTED_PROXIES: '10.9.0.1' });
    try {
      const spoofed: number[] = [];
      for (const n of [1, 2, 3]) {
        spoofed.push(
          (await app.inject({ method: 'GET', url: '/api/v1/things', headers: { 'x-forwarded-for': `203.0.113.${n}` }, remoteAddress: '192.0.2.50' }))
            .statusCode,
        );
      }
      expect(spoofed).toEqual([200, 200, 429]);
    } finally {
      await app.close();
    }
  });

  it('limits the routed path: a percent-encoded spelling of an /api/ path spends the same budget', async () => {
    const app = await buildApp({ max: 2, windowMs: 60_000 });
    try {
      expect(await statuses(app, 1, '/%61pi/v1/things')).toEqual([200]);
      expect(await statuses(app, 1, '/api/v1/%74hings')).toEqual([200]);
      const limited = await app.inject({ method: 'GET', url: '/%61pi/v1/things', remoteAddress: '10.0.0.1' });
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error.code).toBe('RATE_LIMITED');
    } finally {
      await app.close();
    }
  });

  it('never limits webhook routes (the gateway retries a refused delivery; each is signed and recorded once)', async () => {
    const app = await buildApp({ max: 1, windowMs: 60_000 });
    try {
      const codes: number[] = [];
      for (const url of ['/api/v1/payments/webhooks/stripe/', '/api/v1/payments/webhooks/stripe', '/%61pi/v1/payments/webhooks/stripe/']) {
        for (let i = 0; i < 3; i += 1) codes.push((await app.inject({ method: 'POST', url, remoteAddress: '10.0.0.1', payload: {} })).statusCode);
      }
      expect(codes.every((c) => c === 200)).toBe(true);
      // the caller's budget for everything else is untouched
      expect(await statuses(app, 2, '/api/v1/things')).toEqual([200, 429]);
    } finally {
      await app.close();
    }
  });

  it('lets exactly the budget through when a burst arrives at once', async () => {
    const app = await buildApp({ max: 2, windowMs: 60_000 });
    try {
      const burst = await Promise.all([1, 2, 3, 4].map(() => app.inject({ method: 'GET', url: '/api/v1/things', remoteAddress: '10.0.0.7' })));
      expect(burst.map((r) => r.statusCode).sort()).toEqual([200, 200, 429, 429]);
    } finally {
      await app.close();
    }
  });
});
