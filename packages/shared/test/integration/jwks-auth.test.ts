// Tokens from an identity provider: RS256 / ES256 verified against a JWKS this test serves on
// loopback, with the issuer's key rotation (added keys verify at once, removed keys stop after
// the cache refresh), and the attacks an HS256-only verifier was built to stop.
import { createHmac, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSigner } from 'fast-jwt';
import Fastify, { type FastifyInstance } from 'fastify';
import { authOptionsFromConfig, createTokenVerifier, JwksKeySource, signToken, type TokenClaims } from '../../src/auth';
import { BaseEnv, loadConfig } from '../../src/config';
import { DomainError } from '../../src/errors';
import { authPlugin } from '../../src/http/auth-plugin';
import { registerErrorHandler } from '../../src/http/error-handler';
import { LiveCloseCode, LiveHub, liveUpdatesPlugin } from '../../src/http/live-updates';
import { connectLive } from '../../src/live-testing';
import { testLogger } from '../support/env';

const ISSUER = 'https://idp.sudamall.test/';
const AUDIENCE = 'sudamall-api';
const SECRET = 'jwks-test-hs256-secret-0123456789';

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privatePem: string;
  publicKey: KeyObject;
}

function rsaKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, alg: 'RS256', privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey };
}
function ecKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, alg: 'ES256', privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey };
}
const jwkOf = (k: SigningKey) => ({ ...k.publicKey.export({ format: 'jwk' }), kid: k.kid, alg: k.alg, use: 'sig' });

function sign(
  k: SigningKey,
  claims: Partial<TokenClaims> & Record<string, unknown>,
  opts: { iss?: string | null; aud?: string | null; expiresIn?: number; kid?: string } = {},
): string {
  return createSigner({
    key: k.privatePem,
    algorithm: k.alg,
    kid: opts.kid ?? k.kid,
    ...(claims.exp === undefined ? { expiresIn: opts.expiresIn ?? 600_000 } : {}),
    ...(opts.iss === null ? {} : { iss: opts.iss ?? ISSUER }),
    ...(opts.aud === null ? {} : { aud: opts.aud ?? AUDIENCE }),
  })({ sub: 'u-1', role: 'buyer', ...claims });
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const exp = () => Math.floor(Date.now() / 1000) + 600;

/** The issuer's JWKS endpoint: its key set can change, fail, and counts the requests it serves. */
class JwksServer {
  keys: object[] = [];
  status = 200;
  requests = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((_req, res) => {
      this.requests += 1;
      res.writeHead(this.status, { 'content-type': 'application/json' });
      res.end(this.status === 200 ? JSON.stringify({ keys: this.keys }) : '{"error":"down"}');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const rsa1 = rsaKey('rsa-1');
const rsa2 = rsaKey('rsa-2');
const ec1 = ecKey('ec-1');
const attacker = rsaKey('rsa-1'); // the issuer's kid, someone else's key

const jwks = new JwksServer();
let clock = Date.now();
const CACHE_MS = 600_000;
const REFETCH_MS = 30_000;

function newSource(): JwksKeySource {
  return new JwksKeySource({ url: jwks.url, cacheMaxAgeMs: CACHE_MS, minRefetchIntervalMs: REFETCH_MS, now: () => clock, logger: testLogger });
}

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

beforeAll(() => jwks.start());
afterAll(() => jwks.stop());
beforeEach(() => {
  jwks.keys = [jwkOf(rsa1), jwkOf(ec1)];
  jwks.status = 200;
  clock = Date.now();
});

describe('createTokenVerifier with a JWKS', () => {
  it('accepts RS256 and ES256 tokens signed by the issuer, fetching the key set once', async () => {
    const source = newSource();
    const verify = createTokenVerifier({ jwks: source, issuer: ISSUER, audience: AUDIENCE });
    const before = jwks.requests;
    await expect(verify(sign(rsa1, { sub: 'u-1', role: 'buyer' }))).resolves.toEqual({ id: 'u-1', role: 'buyer' });
    await expect(verify(sign(ec1, { sub: 's-1', role: 'seller', store_id: 'st-1' }))).resolves.toEqual({ id: 's-1', role: 'seller', storeId: 'st-1' });
    await Promise.all(Array.from({ length: 10 }, () => verify(sign(rsa1, { role: 'admin' }))));
    expect(jwks.requests - before).toBe(1);
    expect(source.fetches).toBe(1);
  });

  it('refuses expired tokens and a wrong or missing iss / aud', async () => {
    const verify = createTokenVerifier({ jwks: newSource(), issuer: ISSUER, audience: AUDIENCE });
    const bad = {
      expired: sign(rsa1, { iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }),
      'wrong iss': sign(rsa1, {}, { iss: 'https://evil.example/' }),
      'no iss': sign(rsa1, {}, { iss: null }),
      'wrong aud': sign(ec1, {}, { aud: 'another-api' }),
      'no aud': sign(ec1, {}, { aud: null }),
    };
    for (const [name, token] of Object.entries(bad)) {
      const err = await refusal(verify(token));
      expect({ name, kind: err.kind, code: err.code }).toEqual({ name, kind: 'unauthenticated', code: 'UNAUTHENTICATED' });
    }
  });

  it('refuses alg none, an HS256 token signed with the public key (algorithm confusion), and a key the issuer does not hold', async () => {
    const source = newSource();
    const verify = createTokenVerifier({ jwks: source, issuer: ISSUER, audience: AUDIENCE });
    const claims = { sub: 'u-1', role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: exp() };
    const none = `${b64({ alg: 'none', typ: 'JWT', kid: 'rsa-1' })}.${b64(claims)}.`;
    // The classic confusion: the public key (as PEM, or the JWK's modulus) used as an HMAC secret.
    const confusion = (secret: string | Buffer) => {
      const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'rsa-1' })}.${b64(claims)}`;
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    };
    const publicPem = rsa1.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const tokens = {
      none,
      'HS256 with the public PEM': confusion(publicPem),
      'HS256 with the JWK modulus': confusion(String(jwkOf(rsa1).n)),
      'RS256 under the EC key id': sign(rsa1, { role: 'admin' }, { kid: 'ec-1' }),
      'the issuer kid, another key': sign(attacker, { role: 'admin' }),
      'an unknown kid': sign(rsaKey('rsa-9'), { role: 'admin' }),
      garbage: 'not.a.token',
    };
    for (const [name, token] of Object.entries(tokens)) {
      const err = await refusal(verify(token));
      expect({ name, code: err.code, kind: err.kind }).toEqual({ name, code: 'UNAUTHENTICATED', kind: 'unauthenticated' });
    }
    // Tokens no JWKS key could verify (none, HS256) never cost the issuer a request.
    const fresh = newSource();
    const verifyFresh = createTokenVerifier({ jwks: fresh, issuer: ISSUER, audience: AUDIENCE });
    await refusal(verifyFresh(none));
    await refusal(verifyFresh(confusion(publicPem)));
    expect(fresh.fetches).toBe(0);
  });

  it('a key the issuer adds verifies at once (unknown kid refetches), and unknown kids refetch at most once per interval', async () => {
    const source = newSource();
    const verify = createTokenVerifier({ jwks: source, issuer: ISSUER, audience: AUDIENCE });
    await verify(sign(rsa1, {}));
    expect(source.fetches).toBe(1);

    jwks.keys = [jwkOf(rsa1), jwkOf(ec1), jwkOf(rsa2)]; // rotation: the new key is published first
    clock += REFETCH_MS;
    await expect(verify(sign(rsa2, { sub: 'u-2' }))).resolves.toEqual({ id: 'u-2', role: 'buyer' });
    expect(source.fetches).toBe(2);

    // A flood of made-up kids right after: refused without another fetch.
    const forged = Array.from({ length: 20 }, () => sign(attacker, {}, { kid: `rsa-${randomUUID()}` }));
    for (const token of forged.slice(0, 5)) expect((await refusal(verify(token))).code).toBe('UNAUTHENTICATED');
    expect(source.fetches).toBe(2);
    clock += REFETCH_MS;
    await Promise.all(forged.slice(5).map((t) => refusal(verify(t))));
    expect(source.fetches).toBe(3); // one fetch for all the concurrent ones
  });

  it('a key removed from the JWKS keeps verifying until the cache refresh, then stops', async () => {
    const source = newSource();
    const verify = createTokenVerifier({ jwks: source, issuer: ISSUER, audience: AUDIENCE });
    const oldToken = sign(rsa1, { sub: 'old' });
    await expect(verify(oldToken)).resolves.toMatchObject({ id: 'old' });

    jwks.keys = [jwkOf(rsa2), jwkOf(ec1)]; // rotation done: rsa-1 is gone
    clock += CACHE_MS - 1;
    await expect(verify(oldToken)).resolves.toMatchObject({ id: 'old' }); // still cached
    clock += 1;
    const err = await refusal(verify(oldToken));
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.details).toEqual({ reason: 'unknown_key' });
    await expect(verify(sign(rsa2, { sub: 'new' }))).resolves.toMatchObject({ id: 'new' });
    expect(source.fetches).toBe(2);
  });

  it('an unreachable JWKS is 503 JWKS_UNAVAILABLE (never a 401), with stale keys bridging a short outage', async () => {
    jwks.status = 500;
    const cold = createTokenVerifier({ jwks: newSource(), issuer: ISSUER, audience: AUDIENCE });
    const down = await refusal(cold(sign(rsa1, {})));
    expect({ kind: down.kind, code: down.code }).toEqual({ kind: 'unavailable', code: 'JWKS_UNAVAILABLE' });

    jwks.status = 200;
    const source = newSource();
    const verify = createTokenVerifier({ jwks: source, issuer: ISSUER, audience: AUDIENCE });
    const token = sign(rsa1, {});
    await verify(token);
    jwks.status = 500;
    clock += CACHE_MS + 1; // expired, the refresh fails: the stale set still verifies for a while
    await expect(verify(token)).resolves.toMatchObject({ id: 'u-1' });
    clock += CACHE_MS; // past the stale allowance
    expect((await refusal(verify(token))).code).toBe('JWKS_UNAVAILABLE');
    jwks.status = 200; // the issuer is back: the next attempt (rate-limited) recovers
    clock += REFETCH_MS;
    await expect(verify(token)).resolves.toMatchObject({ id: 'u-1' });
  });
});

describe('authPlugin and live updates with the JWKS verifier', () => {
  const buildApp = async (opts: Parameters<typeof createTokenVerifier>[0]): Promise<FastifyInstance> => {
    const app = Fastify({ logger: false });
    registerErrorHandler(app);
    await app.register(authPlugin, opts);
    app.get('/me', { preHandler: app.authenticate }, async (request) => request.user);
    await app.ready();
    return app;
  };
  const me = (app: FastifyInstance, token: string) => app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } });
  const env = (extra: Record<string, string>) =>
    loadConfig(BaseEnv, { DATABASE_URL: 'postgresql://x@127.0.0.1/x', JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, ...extra });
  const hsToken = () => signToken({ sub: 'u-1', role: 'admin' }, { secret: SECRET, issuer: ISSUER, audience: AUDIENCE });

  it('in production only the JWKS verifies: an HS256 token signed with JWT_SECRET is 401', async () => {
    // http is refused in production (see the config test); the options are built the same way.
    const config = { ...env({ JWT_JWKS_URL: jwks.url, JWT_SECRET: SECRET }), NODE_ENV: 'production' as const };
    const app = await buildApp(authOptionsFromConfig(config));
    try {
      expect((await me(app, sign(ec1, { sub: 'u-7' }))).json()).toEqual({ id: 'u-7', role: 'buyer' });
      const res = await me(app, hsToken());
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('UNAUTHENTICATED');
    } finally {
      await app.close();
    }
  });

  it('in development both verify (local tools sign HS256); JWT_HS256_IN_PRODUCTION=true allows HS256 in production', async () => {
    const dev = await buildApp(authOptionsFromConfig(env({ JWT_JWKS_URL: jwks.url, JWT_SECRET: SECRET })));
    const allowed = await buildApp(authOptionsFromConfig({ ...env({ JWT_SECRET: SECRET, JWT_HS256_IN_PRODUCTION: 'true' }), NODE_ENV: 'production' }));
    try {
      expect((await me(dev, hsToken())).statusCode).toBe(200);
      expect((await me(dev, sign(rsa1, {}))).statusCode).toBe(200);
      expect((await me(allowed, hsToken())).statusCode).toBe(200);
    } finally {
      await dev.close();
      await allowed.close();
    }
  });

  it('an unreachable JWKS answers 503 JWKS_UNAVAILABLE over REST', async () => {
    jwks.status = 503;
    const app = await buildApp({ jwks: { url: jwks.url }, issuer: ISSUER, audience: AUDIENCE });
    try {
      const res = await me(app, sign(rsa1, {}));
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('JWKS_UNAVAILABLE');
    } finally {
      await app.close();
    }
  });

  it('the WebSocket streams accept an issuer token and close 4401 on a forged one', async () => {
    const app = Fastify({ logger: false });
    const hub = new LiveHub({});
    await app.register(liveUpdatesPlugin, {
      hub,
      auth: { jwks: newSource(), issuer: ISSUER, audience: AUDIENCE },
      streams: [{ name: 'orders', authorize: (user, id) => user.id === id }],
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    try {
      const ok = await connectLive(base, '/ws/orders/u-5/', { token: sign(ec1, { sub: 'u-5' }) });
      expect((await ok.next((m) => m.type === 'subscribed')).data).toEqual({ stream: 'orders', id: 'u-5' });
      ok.close();
      const forged = await connectLive(base, '/ws/orders/u-5/', { token: sign(attacker, { sub: 'u-5' }) });
      expect((await forged.closed).code).toBe(LiveCloseCode.unauthenticated);
    } finally {
      await app.close();
    }
  });
});
