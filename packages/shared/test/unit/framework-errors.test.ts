import Fastify from 'fastify';
import { frameworkErrors, registerErrorHandler } from '../../src/http/error-handler';

describe('frameworkErrors', () => {
  it('answers router-level errors (too long a path parameter, a bad URL component) in the stable error body', async () => {
    const app = Fastify({ logger: false, frameworkErrors });
    registerErrorHandler(app);
    app.get('/things/:id', async () => ({ ok: true }));
    await app.ready();
    try {
      const long = await app.inject({ method: 'GET', url: `/things/${'x'.repeat(200)}` });
      expect(long.statusCode).toBe(414);
      expect(long.json()).toEqual({ error: { code: 'URI_TOO_LONG', message: 'a path parameter is too long' } });
      const bad = await app.inject({ method: 'GET', url: '/things/%E0%A4%A' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toEqual({ error: { code: 'BAD_URL', message: 'the url is not valid' } });
      expect((await app.inject({ method: 'GET', url: '/things/1' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('NUL characters', () => {
  it('are refused with 400 INVALID_CHARACTER in params, query and body (PostgreSQL text cannot store them)', async () => {
    const app = Fastify({ logger: false });
    registerErrorHandler(app);
    app.post('/things/:id', async () => ({ ok: true }));
    await app.ready();
    try {
      const inParam = await app.inject({ method: 'POST', url: '/things/a%00b', payload: {} });
      expect(inParam.statusCode).toBe(400);
      expect(inParam.json().error).toMatchObject({ code: 'INVALID_CHARACTER', details: { errors: [{ path: 'params.id' }] } });
      const inQuery = await app.inject({ method: 'POST', url: '/things/a?q=x%00', payload: {} });
      expect(inQuery.json().error.details.errors[0].path).toBe('querystring.q');
      const inBody = await app.inject({ method: 'POST', url: '/things/a', payload: { lines: [{ note: 'x\u0000y' }] } });
      expect(inBody.json().error.details.errors[0].path).toBe('body.lines.0.note');
      const deep = '['.repeat(100_000) + ']'.repeat(100_000);
      expect((await app.inject({ method: 'POST', url: '/things/a', headers: { 'content-type': 'application/json' }, payload: deep })).statusCode).toBe(200);
      expect((await app.inject({ method: 'POST', url: '/things/a', payload: { note: 'fine ünïcode 🦄' } })).statusCode).toBe(200);
      // An unpaired surrogate cannot be encoded as UTF-8 for PostgreSQL either.
      const lone = await app.inject({
        method: 'POST',
        url: '/things/a',
        headers: { 'content-type': 'application/json' },
        payload: '{"transaction_id":"\\ud800x"}',
      });
      expect(lone.statusCode).toBe(400);
      expect(lone.json().error).toMatchObject({ code: 'INVALID_CHARACTER', details: { errors: [{ path: 'body.transaction_id' }] } });
    } finally {
      await app.close();
    }
  });
});

describe('non-finite numbers', () => {
  it('are refused with 400 VALIDATION_FAILED after coercion (Ajv lets 1e400 through as Infinity, past its maximum)', async () => {
    const app = Fastify({ logger: false });
    registerErrorHandler(app);
    const schema = { querystring: { type: 'object', properties: { n: { type: 'integer', minimum: 0, maximum: 10 } } } };
    app.post('/things', { schema }, async (req) => ({ n: (req.query as { n?: number }).n ?? null }));
    await app.ready();
    try {
      const inQuery = await app.inject({ method: 'POST', url: '/things?n=1e400', payload: {} });
      expect(inQuery.statusCode).toBe(400);
      expect(inQuery.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { errors: [{ path: 'querystring.n' }] } });
      const inBody = await app.inject({
        method: 'POST',
        url: '/things',
        headers: { 'content-type': 'application/json' },
        payload: '{"lines":[{"qty":-1e400}]}',
      });
      expect(inBody.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { errors: [{ path: 'body.lines.0.qty' }] } });
      expect((await app.inject({ method: 'POST', url: '/things?n=10', payload: { x: 1.5 } })).json()).toEqual({ n: 10 });
    } finally {
      await app.close();
    }
  });
});
