import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { notFound, unavailable, unprocessable } from '../../src/errors';
import { registerErrorHandler } from '../../src/http/error-handler';
import { registerHealth } from '../../src/http/health';
import { registerMetrics } from '../../src/http/metrics';
import { registerOpenApi } from '../../src/http/openapi';

const ItemBody = Type.Object(
  {
    product_id: Type.String({ minLength: 1 }),
    quantity: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);

async function buildApp(ready = true): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 1024, ajv: { customOptions: { allErrors: true } } }).withTypeProvider<TypeBoxTypeProvider>();
  registerErrorHandler(app);
  await registerOpenApi(app, { title: 'Test API', version: '1.0.0', prefix: '/api/v1/things' });
  registerHealth(app, { ready: () => ready });
  registerMetrics(app, { service: 'shared-test' });
  app.post('/api/v1/things', { schema: { body: ItemBody, tags: ['things'] } }, async (request) => ({ got: request.body.quantity }));
  app.get('/api/v1/things/:id', { schema: { params: Type.Object({ id: Type.String({ format: 'uuid' }) }) } }, async () => {
    throw notFound('THING_NOT_FOUND', 'no such thing', { id: 'x' });
  });
  app.get('/stock', async () => {
    throw unprocessable('INSUFFICIENT_STOCK', 'only 2 left', { available: 2 });
  });
  app.get('/locked', async () => {
    throw unavailable('LOCK_UNAVAILABLE', 'lock store is down');
  });
  app.get('/db-restarting', async () => {
    // What node-postgres throws while PostgreSQL restarts (admin shutdown), wrapped as a driver
    // adapter does.
    throw Object.assign(new Error('driver error'), {
      cause: Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    });
  });
  app.get('/tx-timeout', async () => {
    throw Object.assign(new Error('Transaction API error: Unable to start a transaction in the given time.'), { code: 'P2028' });
  });
  app.get('/boom', async () => {
    throw new Error('connection string postgresql://secret@db leaked');
  });
  await app.ready();
  return app;
}

describe('registerErrorHandler', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp();
  });
  afterAll(() => app.close());

  it('maps a DomainError to its status and body', async () => {
    const res = await app.inject({ method: 'GET', url: '/stock' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({ error: { code: 'INSUFFICIENT_STOCK', message: 'only 2 left', details: { available: 2 } } });
    expect((await app.inject({ method: 'GET', url: '/locked' })).statusCode).toBe(503);
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After when the database under a request is down or busy', async () => {
    for (const url of ['/db-restarting', '/tx-timeout']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json().error.code).toBe('SERVICE_UNAVAILABLE');
      expect(res.body).not.toContain('administrator');
    }
  });

  it('reports schema failures as 400 VALIDATION_FAILED with every failing path', async () => {
    // fastify's default ajv strips unknown properties (removeAdditional), so `extra` is not an error.
    const res = await app.inject({ method: 'POST', url: '/api/v1/things', payload: { quantity: 0, extra: true } });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error.code).toBe('VALIDATION_FAILED');
    const paths = body.error.details.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(['body.product_id', 'body.quantity']);
    for (const e of body.error.details.errors) expect(typeof e.message).toBe('string');
  });

  it('validates params too', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/things/not-a-uuid' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.errors[0].path).toBe('params.id');
  });

  it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/things', payload: '{"quantity": ', headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('MALFORMED_JSON');
  });

  it('answers an empty JSON body with 400 MALFORMED_JSON', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/things', payload: '', headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('MALFORMED_JSON');
  });

  it('answers a body over the limit with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/things',
      payload: JSON.stringify({ product_id: 'x'.repeat(2000), quantity: 1 }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers an unsupported content type with 415', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/things', payload: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers an unknown route with 404 NOT_FOUND in the same shape', async () => {
    const res = await app.inject({ method: 'GET', url: '/nowhere?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'route GET /nowhere not found' } });
  });

  it('hides the internals of unexpected errors', async () => {
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    expect(res.body).not.toContain('postgresql');
  });
});

describe('registerOpenApi', () => {
  it('serves an OpenAPI 3 document with the routes, their schemas and bearer auth', async () => {
    const app = await buildApp();
    const res = await app.inject({ method: 'GET', url: '/api/v1/things/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info).toEqual({ title: 'Test API', version: '1.0.0' });
    expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    const post = doc.paths['/api/v1/things'].post;
    expect(post.requestBody.content['application/json'].schema.required).toEqual(['product_id', 'quantity']);
    expect(doc.paths['/healthz']).toBeUndefined();
    await app.close();
  });
});

describe('registerHealth', () => {
  it('answers liveness always and readiness as the check says', async () => {
    const up = await buildApp(true);
    const down = await buildApp(false);
    expect((await up.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await up.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect((await down.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const notReady = await down.inject({ method: 'GET', url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ status: 'not_ready' });
    await Promise.all([up.close(), down.close()]);
  });
});

describe('registerMetrics', () => {
  it('counts requests by route pattern and status and serves them', async () => {
    const app = await buildApp();
    await app.inject({ method: 'GET', url: '/stock' });
    await app.inject({ method: 'GET', url: '/api/v1/things/3f1c7e9e-0000-4000-8000-000000000000' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/http_requests_total\{[^}]*method="GET",route="\/stock",status="422"[^}]*\} [1-9]/);
    expect(res.body).toContain('route="/api/v1/things/:id",status="404"');
    expect(res.body).toContain('http_request_duration_seconds_bucket');
    expect(res.body).toContain('process_cpu_user_seconds_total');
    await app.close();
  });

  it('puts each request in the latency bucket it took and counts every series apart', async () => {
    const app = Fastify({ logger: false });
    registerMetrics(app, { service: 'shared-test' });
    app.get('/slow-30ms', async () => {
      await new Promise((r) => setTimeout(r, 30));
      return 'ok';
    });
    const before = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const sample = (body: string, name: string, le?: string) => {
      const labels = `method="GET",route="/slow-30ms",status="200"${le ? `,le="${le}"` : ''}`;
      const line = body.split('\n').find((l) => l.startsWith(`${name}{${labels},`));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    for (let i = 0; i < 3; i++) await app.inject({ method: 'GET', url: '/slow-30ms' });
    const body = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const grew = (name: string, le?: string) => sample(body, name, le) - sample(before, name, le);
    expect(grew('http_requests_total')).toBe(3);
    expect(grew('http_request_duration_seconds_count')).toBe(3);
    // Buckets are cumulative: none of the three within 25 ms, all three within 5 s and within +Inf.
    expect(grew('http_request_duration_seconds_bucket', '0.025')).toBe(0);
    expect(grew('http_request_duration_seconds_bucket', '5')).toBe(3);
    expect(grew('http_request_duration_seconds_bucket', '+Inf')).toBe(3);
    const sum = sample(body, 'http_request_duration_seconds_sum') - sample(before, 'http_request_duration_seconds_sum');
    expect(sum).toBeGreaterThanOrEqual(0.09);
    expect(sum).toBeLessThan(15);
    await app.close();
  });
});
