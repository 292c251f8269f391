// registerOpenApi's document (3.1, the ErrorBody component, the standard statuses added from each
// route's shape) and the not-found handler's 405 with Allow, through app.inject.
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { signToken } from '../../src/auth';
import { authPlugin } from '../../src/http/auth-plugin';
import { registerErrorHandler } from '../../src/http/error-handler';
import { registerOpenApi } from '../../src/http/openapi';
import { derivedOperationId } from '../../src/http/route-docs';

const SECRET = 'unit-test-secret-0123456789';
const P = '/api/v1/things';

async function buildApp(): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, routerOptions: { ignoreTrailingSlash: true }, bodyLimit: 256 });
  registerErrorHandler(app);
  await registerOpenApi(app, { title: 'Things', version: '1.0.0', prefix: P });
  await app.register(authPlugin, { secret: SECRET });
  await app.register(
    async (scope) => {
      const Params = Type.Object({ id: Type.String({ maxLength: 100 }) });
      scope.get('/', { schema: { summary: 'List things', response: { 200: Type.Array(Type.String()) } } }, async () => ['a']);
      scope.get(
        '/:id/',
        { schema: { summary: 'One thing', operationId: 'getThing', params: Params, response: { 200: Type.Object({ ok: Type.Boolean() }) } } },
        async () => ({ ok: true }),
      );
      scope.post(
        '/:id/move/',
        {
          preHandler: scope.authenticate,
          schema: {
            summary: 'Move a thing',
            security: [{ bearerAuth: [] }],
            params: Params,
            body: Type.Object({ to: Type.String() }),
            response: { 200: Type.Object({ moved: Type.Boolean() }), 409: Type.Object({}, { description: 'the thing is locked' }) },
          },
        },
        async () => ({ moved: true }),
      );
      scope.delete(
        '/:id/',
        { preHandler: scope.authenticate, schema: { summary: 'Delete a thing', security: [{ bearerAuth: [] }], params: Params } },
        async (_req, reply) => reply.status(204).send(),
      );
      scope.get(
        '/search/',
        { schema: { summary: 'Search things', querystring: Type.Object({ tag: Type.String(), page: Type.Integer({ minimum: 1, default: 1 }) }) } },
        async (req) => req.query,
      );
      scope.post('/raw/', { config: { openapi: { omitErrors: [415] } }, schema: { summary: 'Any content type' } }, async () => ({ ok: true }));
    },
    { prefix: P },
  );
  await app.ready();
  return app;
}

let app: FastifyInstance;
beforeAll(async () => {
  app = await buildApp();
});
afterAll(() => app.close());

describe('registerOpenApi document', () => {
  const doc = async () => (await app.inject({ method: 'GET', url: `${P}/openapi.json` })).json();

  it('is OpenAPI 3.1.0 with the ErrorBody component and the bearer scheme', async () => {
    const d = await doc();
    expect(d.openapi).toBe('3.1.0');
    expect(d.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    const errorBody = d.components.schemas.ErrorBody;
    expect(errorBody.properties.error.required).toEqual(['code', 'message']);
    expect(errorBody.properties.error.properties.code.examples).toEqual(['INSUFFICIENT_STOCK']);
  });

  it('adds the statuses each route can answer from its shape, all as ErrorBody', async () => {
    const d = await doc();
    const statuses = (op: { responses: Record<string, unknown> }) => Object.keys(op.responses).sort();
    // public, no input: only what any route can answer
    expect(statuses(d.paths[P].get)).toEqual(['200', '429', '503']);
    // public with a path parameter
    expect(statuses(d.paths[`${P}/{id}`].get)).toEqual(['200', '400', '404', '414', '429', '503']);
    // authenticated with a body and a declared conflict
    const move = d.paths[`${P}/{id}/move`].post;
    expect(statuses(move)).toEqual(['200', '400', '401', '403', '404', '409', '413', '414', '415', '429', '503']);
    expect(move.responses['409'].description).toBe('the thing is locked');
    expect(move.responses['401'].description).toMatch(/UNAUTHENTICATED/);
    for (const [status, r] of Object.entries<any>(move.responses)) {
      if (Number(status) >= 400) expect(r.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ErrorBody' });
    }
    expect(move.security).toEqual([{ bearerAuth: [] }]);
    expect(move.responses['200'].description).toBe('OK.');
    // a route may leave out what it never answers
    expect(d.paths[`${P}/raw`].post.responses['415']).toBeUndefined();
    expect(d.paths[`${P}/raw`].post.responses['413']).toBeDefined();
  });

  it('marks public routes as such and names every operation', async () => {
    const d = await doc();
    expect(d.paths[P].get.security).toEqual([]);
    expect(d.paths[P].get.operationId).toBe('getThings');
    expect(d.paths[`${P}/{id}`].get.operationId).toBe('getThing');
    expect(d.paths[`${P}/{id}`].delete.operationId).toBe('deleteThingsById');
    expect(derivedOperationId('POST', '/api/v1/carts/checkout/full/')).toBe('postCartsCheckoutFull');
    expect(derivedOperationId('GET', '/api/v1/payments/status/:order_reference/')).toBe('getPaymentsStatusByOrderReference');
  });

  it('does not call a query parameter with a default required (the route still fills it in)', async () => {
    const d = await doc();
    const params = d.paths[`${P}/search`].get.parameters.map((p: { name: string; required: boolean }) => [p.name, p.required]);
    expect(params).toEqual([
      ['tag', true],
      ['page', false],
    ]);
    const res = await app.inject({ method: 'GET', url: `${P}/search/?tag=x` });
    expect(res.json()).toEqual({ tag: 'x', page: 1 });
    expect((await app.inject({ method: 'GET', url: `${P}/search/?page=2` })).statusCode).toBe(400);
  });

  it('still answers errors in the ErrorBody shape through the ErrorBody serializer', async () => {
    const res = await app.inject({ method: 'POST', url: `${P}/x/move/`, payload: { to: 'y' } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
    const token = signToken({ sub: 'u-1', role: 'buyer' }, { secret: SECRET });
    const bad = await app.inject({ method: 'POST', url: `${P}/x/move/`, headers: { authorization: `Bearer ${token}` }, payload: { from: 'x' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
    expect(bad.json().error.details.errors[0].path).toBe('body.to');
  });
});

describe('405 Method Not Allowed', () => {
  it('answers a method the path does not declare with 405 and Allow (HEAD with GET)', async () => {
    const res = await app.inject({ method: 'PUT', url: `${P}/abc/` });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, DELETE');
    expect(res.json()).toEqual({
      error: { code: 'METHOD_NOT_ALLOWED', message: `PUT is not allowed on ${P}/abc/`, details: { allowed: ['GET', 'HEAD', 'DELETE'] } },
    });
  });

  it('matches the path as the router does (no trailing slash, query string)', async () => {
    const res = await app.inject({ method: 'GET', url: `${P}/abc/move?x=1` });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });

  it('leaves unknown paths 404', async () => {
    const res = await app.inject({ method: 'GET', url: `${P}/abc/nowhere/` });
    expect(res.statusCode).toBe(404);
    expect(res.headers.allow).toBeUndefined();
    expect(res.json().error.code).toBe('NOT_FOUND');
  });
});
