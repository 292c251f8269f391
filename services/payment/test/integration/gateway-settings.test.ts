import { TestGateway } from '../../src/infra/gateways/test-gateway';
import { admin, buyer, FakeOrders, seller, startHarness, type Harness } from '../support/harness';
import { createOwnSchema } from '../support/own-schema';

// PUT /api/v1/payments/gateways/{name}/ through app.inject against real PostgreSQL. The file
// changes gateway fees, so it has a schema of its own: files sharing the run's schema read fees.

describe('admin gateway settings', () => {
  let h: Harness;
  let own: Awaited<ReturnType<typeof createOwnSchema>>;
  const orders = new FakeOrders();

  beforeAll(async () => {
    own = await createOwnSchema('gwsettings');
    h = await startHarness({ orders, gateways: [new TestGateway()], env: { DATABASE_URL: own.databaseUrl } });
  });
  afterAll(async () => {
    await h?.close();
    await own?.drop();
  });

  const put = (auth: string, name: string, payload: Record<string, unknown>) =>
    h.app.inject({ method: 'PUT', url: `/api/v1/payments/gateways/${name}/`, headers: { authorization: auth }, payload });
  const newPayment = async (total: string) => {
    const u = buyer();
    const order = orders.add({ userId: u.id, totalAmount: total });
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: u.auth },
      payload: { order_id: order.orderId, gateway: 'test_gateway' },
    });
    expect(res.statusCode).toBe(201);
    return { user: u, payment: res.json<{ payment_id: string; gateway_fee: string; total_amount: string }>() };
  };
  const detail = async (p: { user: { auth: string }; payment: { payment_id: string } }) =>
    (await h.app.inject({ method: 'GET', url: `/api/v1/payments/detail/${p.payment.payment_id}/`, headers: { authorization: p.user.auth } })).json();
  const current = async () => h.container.prisma.gateway.findUniqueOrThrow({ where: { name: 'test_gateway' } });

  it('new payments use the new fees, existing ones keep theirs; each change is one audit row (who, when, old, new)', async () => {
    const before = await current();
    const old = await newPayment('100.00');
    const who = admin();
    const res = await put(who.auth, 'test_gateway', { fixed_fee: '1.00', percentage_fee: '10.50' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.gateway).toMatchObject({ name: 'test_gateway', fixed_fee: '1.00', percentage_fee: '10.50', is_active: true });
    const oldSettings = { fixed_fee: before.fixedFee.toFixed(2), percentage_fee: before.percentageFee.toFixed(2), is_active: true };
    expect(body.audit).toMatchObject({
      gateway: 'test_gateway',
      changed_by: who.id,
      actor_role: 'admin',
      old: oldSettings,
      new: { fixed_fee: '1.00', percentage_fee: '10.50', is_active: true },
    });

    const fresh = await newPayment('100.00');
    expect(fresh.payment).toMatchObject({ gateway_fee: '11.50', total_amount: '111.50' });
    // The payment created before keeps the fee it was created with.
    expect(await detail(old)).toMatchObject({ gateway_fee: old.payment.gateway_fee, total_amount: old.payment.total_amount });
    expect(old.payment.gateway_fee).not.toBe('11.50');

    const rows = await h.container.prisma.gatewaySettingsAudit.findMany({ where: { gatewayName: 'test_gateway' }, orderBy: { id: 'asc' } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      changedBy: who.id,
      actorRole: 'admin',
      oldSettings,
      newSettings: { fixed_fee: '1.00', percentage_fee: '10.50', is_active: true },
    });
    expect(Date.now() - rows[0].changedAt.getTime()).toBeLessThan(60_000);

    // The same PUT again changes nothing and writes no audit row.
    expect((await put(who.auth, 'test_gateway', { fixed_fee: '1.00' })).json().audit).toBeNull();
    const audit = await h.app.inject({ method: 'GET', url: '/api/v1/payments/gateways/test_gateway/audit/', headers: { authorization: who.auth } });
    expect(audit.json().items).toHaveLength(1);
  });

  it('is_active false takes the gateway off the list and refuses new payments; true brings it back', async () => {
    const a = admin();
    expect((await put(a.auth, 'test_gateway', { is_active: false })).json().gateway.is_active).toBe(false);
    const u = buyer();
    const list = await h.app.inject({ method: 'GET', url: '/api/v1/payments/gateways/', headers: { authorization: u.auth } });
    expect(list.json().map((g: { name: string }) => g.name)).not.toContain('test_gateway');
    const order = orders.add({ userId: u.id, totalAmount: '10.00' });
    const refused = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: u.auth },
      payload: { order_id: order.orderId, gateway: 'test_gateway' },
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('GATEWAY_NOT_AVAILABLE');
    expect((await put(a.auth, 'test_gateway', { is_active: true })).json().gateway.is_active).toBe(true);
    const last = await h.container.prisma.gatewaySettingsAudit.findFirstOrThrow({ where: { gatewayName: 'test_gateway' }, orderBy: { id: 'desc' } });
    expect(last).toMatchObject({ oldSettings: { is_active: false }, newSettings: { is_active: true } });
  });

  it('decimal validation (the documented patterns); nothing changes and nothing is audited on bad input', async () => {
    const a = admin();
    const count = () => h.container.prisma.gatewaySettingsAudit.count();
    const n = await count();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ fixed_fee: '-1.00' }, 'VALIDATION_FAILED'],
      [{ fixed_fee: '1.001' }, 'VALIDATION_FAILED'],
      [{ fixed_fee: '1e3' }, 'VALIDATION_FAILED'],
      [{ fixed_fee: 'abc' }, 'VALIDATION_FAILED'],
      [{ percentage_fee: '100.01' }, 'VALIDATION_FAILED'],
      [{ percentage_fee: '2.555' }, 'VALIDATION_FAILED'],
      [{ percentage_fee: '-0.5' }, 'VALIDATION_FAILED'],
      [{ fixed_fee: '1.00', percentage_fee: '101' }, 'VALIDATION_FAILED'],
      [{}, 'VALIDATION_FAILED'],
      [{ is_active: 'maybe' }, 'VALIDATION_FAILED'],
    ];
    const before = await current();
    for (const [payload, code] of cases) {
      const res = await put(a.auth, 'test_gateway', payload);
      expect({ payload, status: res.statusCode, code: res.json().error?.code }).toEqual({ payload, status: 400, code });
    }
    expect(await count()).toBe(n);
    expect(await current()).toMatchObject({ fixedFee: before.fixedFee, percentageFee: before.percentageFee });
    // The edges are allowed.
    expect((await put(a.auth, 'test_gateway', { fixed_fee: '0', percentage_fee: '100' })).json().gateway).toMatchObject({
      fixed_fee: '0.00',
      percentage_fee: '100.00',
    });
    expect((await put(a.auth, 'test_gateway', { fixed_fee: '2.00', percentage_fee: '2.50' })).statusCode).toBe(200);
  });

  it('admins only; an unknown gateway is 404 GATEWAY_NOT_FOUND', async () => {
    for (const auth of [buyer().auth, seller().auth]) {
      const res = await put(auth, 'test_gateway', { fixed_fee: '9.99' });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    }
    expect((await h.app.inject({ method: 'PUT', url: '/api/v1/payments/gateways/test_gateway/', payload: { fixed_fee: '9.99' } })).statusCode).toBe(401);
    const missing = await put(admin().auth, 'no_such_gateway', { fixed_fee: '1.00' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('GATEWAY_NOT_FOUND');
    expect((await current()).fixedFee.toFixed(2)).not.toBe('9.99');
  });
});
