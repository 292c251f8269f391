import { createSigner } from 'fast-jwt';
import Fastify, { type FastifyInstance } from 'fastify';
import { createTokenVerifier, signToken } from '../../src/auth';
import { authPlugin } from '../../src/http/auth-plugin';
import { registerErrorHandler } from '../../src/http/error-handler';

const SECRET = 'unit-test-secret-0123456789';

async function buildApp(opts: { issuer?: string; audience?: string } = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  registerErrorHandler(app);
  await app.register(authPlugin, { secret: SECRET, ...opts });
  app.get('/me', { preHandler: app.authenticate }, async (request) => request.user);
  app.get('/seller-only', { preHandler: app.requireRole('seller', 'admin') }, async (request) => ({ store: request.user.storeId ?? null }));
  await app.ready();
  return app;
}

const base64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('authPlugin', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp();
  });
  afterAll(() => app.close());

  const get = (url: string, token?: string) => app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('accepts a valid token and exposes the user', async () => {
    const res = await get('/me', signToken({ sub: 'u-1', role: 'buyer' }, { secret: SECRET }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: 'u-1', role: 'buyer' });
  });

  it('carries store_id for sellers', async () => {
    const res = await get('/seller-only', signToken({ sub: 's-1', role: 'seller', store_id: 'store-9' }, { secret: SECRET }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ store: 'store-9' });
  });

  it('refuses a request without a token', async () => {
    const res = await get('/me');
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a non-bearer authorization header', async () => {
    const res = await app.inject({ method: 'GET', url: '/me', headers: { authorization: 'Basic dTpw' } });
    expect(res.statusCode).toBe(401);
  });

  it('refuses a token signed with another secret', async () => {
    const res = await get('/me', signToken({ sub: 'u-1', role: 'buyer' }, { secret: 'another-secret-0123456789' }));
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses alg none', async () => {
    const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'u-1', role: 'admin', exp: Math.floor(Date.now() / 1000) + 600 })}.`;
    const res = await get('/me', token);
    expect(res.statusCode).toBe(401);
  });

  it('refuses an HS512 token even with the right secret', async () => {
    const token = createSigner({ key: SECRET, algorithm: 'HS512', expiresIn: 60000 })({ sub: 'u-1', role: 'buyer' });
    expect((await get('/me', token)).statusCode).toBe(401);
  });

  it('refuses an expired token', async () => {
    const token = createSigner({ key: SECRET, algorithm: 'HS256' })({
      sub: 'u-1',
      role: 'buyer',
      iat: Math.floor(Date.now() / 1000) - 7200,
      exp: Math.floor(Date.now() / 1000) - 3600,
    });
    const res = await get('/me', token);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an unknown role and a seller without store_id', async () => {
    expect((await get('/me', signToken({ sub: 'u-1', role: 'root' as 'admin' }, { secret: SECRET }))).statusCode).toBe(401);
    expect((await get('/me', signToken({ sub: 's-1', role: 'seller' }, { secret: SECRET }))).statusCode).toBe(401);
  });

  it('answers 403 FORBIDDEN for a valid token with the wrong role', async () => {
    const res = await get('/seller-only', signToken({ sub: 'u-1', role: 'buyer' }, { secret: SECRET }));
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('FORBIDDEN');
  });

  it('answers 401 (not 403) on a role-guarded route without a token', async () => {
    expect((await get('/seller-only')).statusCode).toBe(401);
  });
});

describe('authPlugin with issuer and audience', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp({ issuer: 'sudamall', audience: 'sudamall-api' });
  });
  afterAll(() => app.close());

  const get = (token: string) => app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } });

  it('accepts the configured issuer and audience', async () => {
    const token = signToken({ sub: 'u-1', role: 'buyer' }, { secret: SECRET, issuer: 'sudamall', audience: 'sudamall-api' });
    expect((await get(token)).statusCode).toBe(200);
  });

  it('refuses a wrong issuer, a wrong audience, or none', async () => {
    const wrongIss = signToken({ sub: 'u-1', role: 'buyer' }, { secret: SECRET, issuer: 'evil', audience: 'sudamall-api' });
    const wrongAud = signToken({ sub: 'u-1', role: 'buyer' }, { secret: SECRET, issuer: 'sudamall', audience: 'other' });
    const neither = signToken({ sub: 'u-1', role: 'buyer' }, { secret: SECRET });
    for (const token of [wrongIss, wrongAud, neither]) expect((await get(token)).statusCode).toBe(401);
  });
});

describe('createTokenVerifier', () => {
  it('refuses a token without an expiry', async () => {
    const token = createSigner({ key: SECRET, algorithm: 'HS256' })({ sub: 'u-1', role: 'buyer' });
    await expect(createTokenVerifier({ secret: SECRET })(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  // A verifier remembers the tokens it verified (until their exp) instead of checking the signature per request.
  it('answers a token it verified again the same way, a fresh copy each time, and refuses it once expired', async () => {
    jest.useFakeTimers({ now: Date.now() });
    try {
      const verify = createTokenVerifier({ secret: SECRET });
      const token = signToken({ sub: 's-1', role: 'seller', store_id: 'st-1' }, { secret: SECRET, expiresIn: 60_000 });
      const first = await verify(token);
      first.id = 'changed by a caller';
      await expect(verify(token)).resolves.toEqual({ id: 's-1', role: 'seller', storeId: 'st-1' });
      jest.advanceTimersByTime(59_000);
      await expect(verify(token)).resolves.toEqual({ id: 's-1', role: 'seller', storeId: 'st-1' });
      jest.advanceTimersByTime(1_000);
      await expect(verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    } finally {
      jest.useRealTimers();
    }
  });

  it('never remembers a refusal: a token refused for its claims is refused again', async () => {
    const verify = createTokenVerifier({ secret: SECRET });
    const noStore = signToken({ sub: 's-1', role: 'seller' }, { secret: SECRET });
    for (let i = 0; i < 2; i++) await expect(verify(noStore)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
