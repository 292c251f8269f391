import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { bearer } from '@sudamall/shared/testing';
import { MAX_SAGA_AGE_SECONDS } from '../../src/app/saga-admin';
import { buildTestApp, startHarness, type Harness } from '../fixtures/harness';

// Every numeric query parameter of the admin saga routes has a schema maximum: a number past it
// is a 400 VALIDATION_FAILED naming the parameter, never a 500 (older_than_seconds=244270672695
// made a date past year 9999 and the database refused it).

let h: Harness;
let app: FastifyInstance;
beforeAll(async () => {
  h = await startHarness({ kafka: false });
  app = await buildTestApp(h);
});
afterAll(async () => {
  await app?.close();
  await h?.close();
});

const admin = bearer({ sub: randomUUID(), role: 'admin' });
const ROUTES = ['/api/v1/orders/admin/sagas/', '/admin/sagas/api/sagas'];
const get = (url: string) => app.inject({ method: 'GET', url, headers: { authorization: admin } });

describe.each(ROUTES)('GET %s', (route) => {
  it.each([
    ['older_than_seconds', '244270672695'],
    ['older_than_seconds', String(MAX_SAGA_AGE_SECONDS + 1)],
    ['older_than_seconds', '1e400'],
    ['older_than_seconds', '-1'],
    ['page', '100001'],
    ['page', '99999999999999999999'],
    ['page', '1e400'],
    ['page_size', '-1e400'],
    ['page_size', '100000'],
  ])('%s=%s is 400 VALIDATION_FAILED', async (param, value) => {
    const res = await get(`${route}?${param}=${value}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(res.json().error)).toContain(param);
  });

  it('the largest allowed values answer 200', async () => {
    const res = await get(`${route}?older_than_seconds=${MAX_SAGA_AGE_SECONDS}&page=100000&page_size=100`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ items: [], page: 100000, page_size: 100 });
  });
});
