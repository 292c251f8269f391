import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { credentials } from '@grpc/grpc-js';
import { order as pb } from '@sudamall/proto';
import { createLogger, promisifyUnary, startGrpcServer } from '@sudamall/shared';
import { bearer } from '@sudamall/shared/testing';
import { orderGrpcService } from '../../src/grpc/order-grpc';
import { presentOrder } from '../../src/http/presenters';
import { buildTestApp, startHarness, type Harness } from '../fixtures/harness';

// /api/v1/accounts/profile/ and /api/v1/accounts/addresses/ through app.inject against the real
// database (a schema of this file's own), and orders placed with address_id.

let h: Harness;
let app: FastifyInstance;
beforeAll(async () => {
  h = await startHarness({ kafka: false, env: { PLACE_ORDER_WAIT_MS: '0' } });
  app = await buildTestApp(h);
});
afterAll(async () => {
  await app?.close();
  await h?.close();
});

const user = (role: 'buyer' | 'seller' | 'admin' = 'buyer', extra: Record<string, string> = {}) => {
  const id = randomUUID();
  return { id, auth: bearer({ sub: id, role, ...(role === 'seller' ? { store_id: 'store-a' } : {}), ...extra }) };
};
type User = ReturnType<typeof user>;

const home = { full_name: 'Amna Osman', line1: '12 Nile Street', city: 'Khartoum', country: 'Sudan', phone: '+249 912 345 678' };

const call = (u: User, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
  app.inject({ method, url: `/api/v1/accounts${url}`, headers: { authorization: u.auth }, ...(payload ? { payload } : {}) });

async function addAddress(u: User, body: object = home) {
  const res = await call(u, 'POST', '/addresses/', body);
  expect(res.statusCode).toBe(201);
  return res.json<{ address_id: string; is_default: boolean }>();
}

const defaults = async (u: User) =>
  ((await call(u, 'GET', '/addresses/')).json().items as Array<{ address_id: string; is_default: boolean }>)
    .filter((a) => a.is_default)
    .map((a) => a.address_id);

describe('GET|PUT /api/v1/accounts/profile/', () => {
  it('answers id, email and role from the token and keeps name and phone', async () => {
    const u = user('buyer', { email: 'amna@example.test' });
    const empty = await call(u, 'GET', '/profile/');
    expect(empty.statusCode).toBe(200);
    expect(empty.json()).toEqual({ id: u.id, email: 'amna@example.test', role: 'buyer', name: '', phone: '' });

    const put = await call(u, 'PUT', '/profile/', { name: '  Amna Osman ', phone: '+249 912 345 678' });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ id: u.id, email: 'amna@example.test', role: 'buyer', name: 'Amna Osman', phone: '+249 912 345 678' });
    // Only the fields given change.
    expect((await call(u, 'PUT', '/profile/', { name: 'A. Osman' })).json()).toMatchObject({ name: 'A. Osman', phone: '+249 912 345 678' });
    expect((await call(u, 'GET', '/profile/')).json()).toMatchObject({ name: 'A. Osman', phone: '+249 912 345 678' });
    // A seller has a profile too; no email claim is null.
    const s = user('seller');
    expect((await call(s, 'GET', '/profile/')).json()).toEqual({ id: s.id, email: null, role: 'seller', name: '', phone: '' });
  });

  it('token fields in the body change nothing; a bad phone and an empty body are VALIDATION_FAILED; 401 without a token', async () => {
    const u = user('buyer', { email: 'real@example.test' });
    // Unknown properties are dropped by the schema (fastify's removeAdditional): the token wins.
    await call(u, 'PUT', '/profile/', { name: 'N', email: 'x@y.z', role: 'admin', id: 'someone' });
    expect((await call(u, 'GET', '/profile/')).json()).toEqual({ id: u.id, email: 'real@example.test', role: 'buyer', name: 'N', phone: '' });
    const phone = await call(u, 'PUT', '/profile/', { phone: 'call me' });
    expect(phone.statusCode).toBe(400);
    expect(phone.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { errors: [expect.objectContaining({ path: 'body.phone' })] } });
    expect((await call(u, 'PUT', '/profile/', {})).json().error.code).toBe('VALIDATION_FAILED');
    expect((await app.inject({ method: 'GET', url: '/api/v1/accounts/profile/' })).statusCode).toBe(401);
  });
});

describe('/api/v1/accounts/addresses/', () => {
  it('the first address is the default; a new default unsets the old one; exactly one default at all times', async () => {
    const u = user();
    expect((await call(u, 'GET', '/addresses/')).json()).toEqual({ items: [] });
    const first = await addAddress(u);
    expect(first).toMatchObject({ ...home, line2: '', region: '', postal_code: '', is_default: true });
    const second = await addAddress(u, { ...home, line1: '3 Blue Nile Road' });
    expect(second.is_default).toBe(false);
    expect(await defaults(u)).toEqual([first.address_id]);

    const third = await addAddress(u, { ...home, line1: '9 Port Road', city: 'Port Sudan', is_default: true });
    expect(third.is_default).toBe(true);
    expect(await defaults(u)).toEqual([third.address_id]);

    const moved = await call(u, 'PUT', `/addresses/${second.address_id}/`, { is_default: true, postal_code: '11111' });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ address_id: second.address_id, is_default: true, postal_code: '11111', line1: '3 Blue Nile Road' });
    const list = (await call(u, 'GET', '/addresses/')).json().items;
    expect(list.map((a: { address_id: string }) => a.address_id)).toEqual([second.address_id, first.address_id, third.address_id]);
    expect(await defaults(u)).toEqual([second.address_id]);

    // Unsetting the only default would leave none.
    const unset = await call(u, 'PUT', `/addresses/${second.address_id}/`, { is_default: false });
    expect(unset.statusCode).toBe(409);
    expect(unset.json().error.code).toBe('DEFAULT_ADDRESS_REQUIRED');
  });

  it('two first addresses created at once: exactly one becomes the default', async () => {
    const u = user();
    const results = await Promise.all([1, 2, 3, 4].map((n) => call(u, 'POST', '/addresses/', { ...home, line1: `${n} Concurrent St` })));
    expect(results.map((r) => r.statusCode)).toEqual([201, 201, 201, 201]);
    expect((await defaults(u)).length).toBe(1);
  });

  it('deleting the default promotes the oldest remaining address; deleting the last leaves none', async () => {
    const u = user();
    const a = await addAddress(u, { ...home, line1: 'A' });
    const b = await addAddress(u, { ...home, line1: 'B' });
    const c = await addAddress(u, { ...home, line1: 'C', is_default: true });
    expect((await call(u, 'DELETE', `/addresses/${c.address_id}/`)).statusCode).toBe(204);
    expect(await defaults(u)).toEqual([a.address_id]);
    expect((await call(u, 'DELETE', `/addresses/${b.address_id}/`)).statusCode).toBe(204);
    expect(await defaults(u)).toEqual([a.address_id]);
    expect((await call(u, 'DELETE', `/addresses/${a.address_id}/`)).statusCode).toBe(204);
    expect((await call(u, 'GET', '/addresses/')).json()).toEqual({ items: [] });
    // The next one is the default again.
    expect((await addAddress(u)).is_default).toBe(true);
  });

  it("another user's address is 404 ADDRESS_NOT_FOUND, exactly like one that does not exist", async () => {
    const owner = user();
    const other = user();
    const a = await addAddress(owner);
    for (const id of [a.address_id, randomUUID(), 'not-a-uuid']) {
      for (const res of [await call(other, 'PUT', `/addresses/${id}/`, { city: 'Omdurman' }), await call(other, 'DELETE', `/addresses/${id}/`)]) {
        expect(res.statusCode).toBe(404);
        expect(res.json().error).toMatchObject({ code: 'ADDRESS_NOT_FOUND', details: { address_id: id } });
      }
    }
    expect((await call(other, 'GET', '/addresses/')).json()).toEqual({ items: [] });
    expect((await call(owner, 'GET', '/addresses/')).json().items[0]).toMatchObject({ address_id: a.address_id, city: 'Khartoum' });
  });

  it('validation: stable codes, never a 500', async () => {
    const u = user();
    const missing = await call(u, 'POST', '/addresses/', { full_name: 'X', city: 'Khartoum', country: 'Sudan' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.code).toBe('VALIDATION_FAILED');
    const blank = await call(u, 'POST', '/addresses/', { ...home, line1: '   ' });
    expect(blank.statusCode).toBe(400);
    expect(blank.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { errors: [expect.objectContaining({ path: 'body.line1' })] } });
    const phone = await call(u, 'POST', '/addresses/', { ...home, phone: 'abc' });
    expect(phone.json().error.code).toBe('VALIDATION_FAILED');
    expect((await call(u, 'POST', '/addresses/', { ...home, city: 'x'.repeat(101) })).json().error.code).toBe('VALIDATION_FAILED');
    expect((await call(u, 'POST', '/addresses/', { ...home, is_default: 'yes' })).json().error.code).toBe('VALIDATION_FAILED');
    const a = await addAddress(u);
    expect((await call(u, 'PUT', `/addresses/${a.address_id}/`, {})).json().error.code).toBe('VALIDATION_FAILED');
    expect((await call(u, 'PUT', `/addresses/${a.address_id}/`, { city: ' ' })).json().error.code).toBe('VALIDATION_FAILED');
  });

  it('at most 20 addresses: the 21st is 409 ADDRESS_LIMIT_REACHED', async () => {
    const u = user();
    for (let i = 0; i < 20; i++) await addAddress(u, { ...home, line1: `${i} Street` });
    const res = await call(u, 'POST', '/addresses/', home);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('ADDRESS_LIMIT_REACHED');
  });
});

describe('POST /api/v1/orders/create/ with address_id', () => {
  const create = (u: User, body: object) => {
    const p = h.catalog.add({ price: '5.00', storeId: 'store-a' });
    return app.inject({
      method: 'POST',
      url: '/api/v1/orders/create/',
      headers: { authorization: u.auth, 'idempotency-key': randomUUID() },
      payload: { items: [{ product_id: p.id, quantity: 1 }], ...body },
    });
  };

  it('stores the formatted address and a snapshot that later edits and deletion do not change', async () => {
    const u = user();
    const a = await addAddress(u, { ...home, line2: 'Flat 4', postal_code: '11111' });
    const res = await create(u, { address_id: a.address_id });
    expect(res.statusCode).toBe(201);
    const order = res.json();
    expect(order.shipping_address).toBe('Amna Osman, 12 Nile Street, Flat 4, Khartoum, 11111, Sudan, +249 912 345 678');
    expect(order.shipping_address_snapshot).toEqual({ address_id: a.address_id, ...home, line2: 'Flat 4', region: '', postal_code: '11111' });

    await call(u, 'PUT', `/addresses/${a.address_id}/`, { line1: '99 Elsewhere' });
    await call(u, 'DELETE', `/addresses/${a.address_id}/`);
    const again = await app.inject({ method: 'GET', url: `/api/v1/orders/${order.order_id}/`, headers: { authorization: u.auth } });
    expect(again.json()).toMatchObject({ shipping_address: order.shipping_address, shipping_address_snapshot: order.shipping_address_snapshot });
  });

  it("422 without either or with both; another user's address is 404 ADDRESS_NOT_FOUND", async () => {
    const u = user();
    const a = await addAddress(u);
    const neither = await create(u, {});
    expect(neither.statusCode).toBe(422);
    expect(neither.json().error.code).toBe('SHIPPING_ADDRESS_OR_ADDRESS_ID');
    const both = await create(u, { address_id: a.address_id, shipping_address: '2 Side St' });
    expect(both.statusCode).toBe(422);
    expect(both.json().error.code).toBe('SHIPPING_ADDRESS_OR_ADDRESS_ID');
    const stolen = await create(user(), { address_id: a.address_id });
    expect(stolen.statusCode).toBe(404);
    expect(stolen.json().error.code).toBe('ADDRESS_NOT_FOUND');
    // A typed address still works and has no snapshot.
    const typed = await create(u, { shipping_address: '2 Side St' });
    expect(typed.statusCode).toBe(201);
    expect(typed.json()).toMatchObject({ shipping_address: '2 Side St', shipping_address_snapshot: null });
  });

  it('gRPC PlaceOrder (what cart calls) accepts address_id, for that user only', async () => {
    const server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      services: [{ definition: pb.OrderServiceService, implementation: orderGrpcService(h.c.useCases) }],
      logger: createLogger({ name: 'order-accounts-grpc-test', level: 'warn' }),
    });
    server.setServing(true);
    const client = new pb.OrderServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
    try {
      const placeOrder = promisifyUnary(client, 'placeOrder');
      const u = user();
      const a = await addAddress(u);
      const p = h.catalog.add({ price: '5.00', storeId: 'store-a' });
      const req = (userId: string, extra: Partial<pb.PlaceOrderRequest>) => ({
        idempotencyKey: randomUUID(),
        userId,
        items: [{ productId: p.id, size: '', quantity: 1 }],
        shippingAddress: '',
        notes: '',
        waitMs: 0,
        ...extra,
      });
      const { order } = await placeOrder(req(u.id, { addressId: a.address_id }));
      expect(order?.shippingAddress).toBe('Amna Osman, 12 Nile Street, Khartoum, Sudan, +249 912 345 678');
      expect(presentOrder(await h.c.useCases.getOrderView.execute(order!.orderId)).shipping_address_snapshot?.address_id).toBe(a.address_id);
      await expect(placeOrder(req(randomUUID(), { addressId: a.address_id }))).rejects.toMatchObject({ code: 'ADDRESS_NOT_FOUND', kind: 'not_found' });
      await expect(placeOrder(req(u.id, {}))).rejects.toMatchObject({ code: 'SHIPPING_ADDRESS_OR_ADDRESS_ID', kind: 'unprocessable' });
    } finally {
      client.close();
      await server.close();
    }
  });
});
