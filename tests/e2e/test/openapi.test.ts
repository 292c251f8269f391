// The four services' OpenAPI documents, as a storefront developer's client generator meets them:
// each is built from the service's own buildApp (the built code, as it ships) and linted by an
// independent validator, Redocly (@redocly/openapi-core) with its `recommended` ruleset: zero
// errors, and no warning that openapi-allowed-warnings.json does not list with its reason.
// Then what a generator needs beyond validity: every operation named (unique camelCase
// operationId), summarised, its security said, its errors the one ErrorBody; and a method a path
// does not declare answered 405 with Allow.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { TEST_JWT_SECRET } from '@sudamall/shared/testing';
import { buildApp as buildInventory } from '@sudamall/inventory/dist/http/app';
import { buildApp as buildCart } from '@sudamall/cart/dist/http/app';
import { buildApp as buildOrder } from '@sudamall/order/dist/http/app';
import { buildApp as buildPayment } from '@sudamall/payment/dist/http/app';

interface AllowedWarning {
  rule: string;
  reason: string;
}
const ALLOWED: AllowedWarning[] = JSON.parse(readFileSync(join(__dirname, 'openapi-allowed-warnings.json'), 'utf8')).warnings;

/**
 * The documents come from the routes' schemas alone: no handler runs while one is built or while
 * a 405 is answered. So the use cases are a value any part of which may be passed around at
 * registration (order hands `useCases.parked` to a plugin) but which fails loudly when called.
 */
function unreachable(path = 'useCases'): never {
  return new Proxy(() => undefined, {
    get: (_target, key) => (key === 'then' || typeof key === 'symbol' ? undefined : unreachable(`${path}.${key}`)),
    apply: () => {
      throw new Error(`the document test called ${path}()`);
    },
  }) as never;
}

const auth = { secret: TEST_JWT_SECRET };
const logger = pino({ level: 'silent' });

const SERVICES: Array<{ name: string; doc: string; build: () => Promise<FastifyInstance> }> = [
  { name: 'inventory', doc: '/api/v1/products/openapi.json', build: () => buildInventory({ useCases: unreachable(), auth, ready: () => true }) },
  { name: 'cart', doc: '/api/v1/carts/openapi.json', build: () => buildCart({ useCases: unreachable(), auth }) },
  { name: 'order', doc: '/api/v1/orders/openapi.json', build: () => buildOrder({ useCases: unreachable(), auth }) },
  {
    name: 'payment',
    doc: '/api/v1/payments/openapi.json',
    build: () =>
      buildPayment({
        useCases: unreachable(),
        logger,
        auth,
        ready: () => true,
        // Test mode on, production off: every route the service can serve is in the document.
        settings: {
          testMode: true,
          production: false,
          currency: 'USD',
          paymentWindowMinutes: 30,
          stripePublishableKey: 'pk_test_document',
          stripeWebhookSecret: 'whsec_document_test_0123456789abcdef',
          stripeWebhookToleranceSeconds: 300,
          paypalClientId: 'paypal-document-test',
        },
      }),
  },
];

const apps = new Map<string, FastifyInstance>();
const docs = new Map<string, any>();

beforeAll(async () => {
  for (const s of SERVICES) {
    const app = await s.build();
    await app.ready();
    apps.set(s.name, app);
    const res = await app.inject({ method: 'GET', url: s.doc });
    expect(res.statusCode).toBe(200);
    docs.set(s.name, res.json());
  }
}, 60_000);

afterAll(async () => {
  for (const app of apps.values()) await app.close();
});

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const operationsOf = (doc: any): Array<{ path: string; method: string; op: any }> =>
  Object.entries<any>(doc.paths).flatMap(([path, item]) =>
    Object.entries<any>(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ path, method, op })),
  );

describe.each(SERVICES.map((s) => s.name))('the %s OpenAPI document', (name) => {
  it('is OpenAPI 3.1 and passes Redocly recommended: no error, only the listed warnings', async () => {
    const doc = docs.get(name);
    expect(doc.openapi).toBe('3.1.0');
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: `/${name}-openapi.json`, config });
    const shown = problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? ''}`);
    const errors = shown.filter((_, i) => problems[i].severity === 'error');
    expect(errors).toEqual([]);
    const unlisted = shown.filter((_, i) => problems[i].severity === 'warn' && !ALLOWED.some((a) => a.rule === problems[i].ruleId));
    expect(unlisted).toEqual([]);
  });

  it('names, summarises and secures every operation, and answers its errors as ErrorBody', () => {
    const doc = docs.get(name);
    const operations = operationsOf(doc);
    expect(operations.length).toBeGreaterThan(0);
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, method, op } of operations) {
      const where = `${method.toUpperCase()} ${path}`;
      expect([where, op.operationId]).toEqual([where, expect.stringMatching(/^[a-z][A-Za-z0-9]*$/)]);
      expect([where, typeof op.summary === 'string' && op.summary.length > 0]).toEqual([where, true]);
      expect([where, Array.isArray(op.security)]).toEqual([where, true]);
      const statuses = Object.keys(op.responses);
      expect([where, statuses.some((s) => /^2\d\d$/.test(s))]).toEqual([where, true]);
      for (const common of ['429', '503']) expect([where, statuses]).toEqual([where, expect.arrayContaining([common])]);
      if (op.security.length > 0) expect([where, statuses]).toEqual([where, expect.arrayContaining(['401', '403'])]);
      if (path.includes('{')) expect([where, statuses]).toEqual([where, expect.arrayContaining(['404'])]);
      if (op.requestBody) expect([where, statuses]).toEqual([where, expect.arrayContaining(['400', '413'])]);
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        const r = op.responses[status];
        expect([where, status, r.content?.['application/json']?.schema]).toEqual([where, status, { $ref: '#/components/schemas/ErrorBody' }]);
        expect([where, status, typeof r.description === 'string' && r.description.length > 10]).toEqual([where, status, true]);
      }
    }
    expect(doc.components.schemas.ErrorBody.properties.error.required).toEqual(['code', 'message']);
    expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  });
});

describe('405 Method Not Allowed on every service', () => {
  it.each([
    ['inventory', 'PUT', '/api/v1/products/', 'GET, HEAD, POST'],
    ['inventory', 'POST', '/api/v1/products/p-1/stock/', 'GET, HEAD, PUT'],
    ['cart', 'DELETE', '/api/v1/carts/add/', 'POST'],
    ['order', 'DELETE', '/api/v1/orders/o-1/', 'GET, HEAD'],
    ['payment', 'GET', '/api/v1/payments/create/', 'POST'],
  ])('%s: %s %s is 405 with Allow: %s', async (service, method, url, allow) => {
    const res = await apps.get(service)!.inject({ method: method as 'GET', url });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.json().error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('an unknown path stays 404', async () => {
    const res = await apps.get('order')!.inject({ method: 'GET', url: '/api/v1/orders/o-1/nowhere/' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });
});
