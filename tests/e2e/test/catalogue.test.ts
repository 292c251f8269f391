// Issue 14's catalogue basics end to end, through the nginx gateway (infra/docker/nginx.conf,
// rendered by scripts/lib/gateway.sh as in gateway.test.ts) in front of the four real services:
// a seller lists a product with images and a sale price; a buyer finds it with the list's
// filters, adds it at the sale price, and is refused the end of the sale at checkout
// (PRICES_CHANGED) until the cart was read again; the order is priced at what was shown; a size
// with units reserved by the order cannot be removed, another can; the product's history lists
// its changes, not the order's snapshot; sold quantities are the seller's to see.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testToken } from '@sudamall/shared/testing';
import { eventuallyValue, freePort, startPlatform, type Platform, type ServiceName } from './platform';

const GATEWAY_SH = join(__dirname, '..', '..', '..', 'scripts', 'lib', 'gateway.sh');

let platform: Platform;
let runDir: string;
let conf: string;
let gatewayUrl: string;

beforeAll(async () => {
  platform = await startPlatform({ ownDatabases: true });
  runDir = mkdtempSync(join(tmpdir(), 'sudamall-catalogue-'));
  conf = join(runDir, 'nginx.conf');
  const port = await freePort();
  const upstream = (s: ServiceName) => `127.0.0.1:${new URL(platform.httpUrl(s)).port}`;
  execFileSync('bash', [GATEWAY_SH, 'render', conf, runDir, `127.0.0.1:${port}`, upstream('inventory'), upstream('cart'), upstream('order'), upstream('payment')]);
  execFileSync('bash', [GATEWAY_SH, 'start', conf]);
  gatewayUrl = `http://127.0.0.1:${port}`;
}, 120_000);

afterAll(async () => {
  if (conf) {
    try {
      execFileSync('bash', [GATEWAY_SH, 'stop', conf]);
    } catch {
      // not started
    }
  }
  await platform?.stop();
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

type Claims = { sub: string; role: 'buyer' | 'seller' | 'admin'; store_id?: string };

/** One caller through the gateway; `token: null` is an anonymous reader. */
function caller(claims: Claims | null) {
  const token = claims ? testToken(claims) : null;
  return async (status: number, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${gatewayUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = text ? JSON.parse(text) : null;
    if (res.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${text}`);
    return json;
  };
}

test('sale price, filters, checkout at the price shown, size rules and history through the gateway', async () => {
  const store = `store-${randomUUID().slice(0, 8)}`;
  const seller = caller({ sub: `seller-${randomUUID()}`, role: 'seller', store_id: store });
  const buyer = caller({ sub: `buyer-${randomUUID()}`, role: 'buyer' });
  const anonymous = caller(null);
  const tag = randomUUID().slice(0, 8);

  const tee = await seller(201, 'POST', '/api/v1/products/', {
    product_name: `Linen tee ${tag}`,
    product_description: 'Breathable summer shirt',
    price: '30.00',
    sale_price: '24.00',
    images: ['https://cdn.example.com/tee-front.jpg', 'https://cdn.example.com/tee-back.jpg'],
    category: 'Clothing',
    brand: 'Nilewear',
    has_sizes: true,
    sizes: [
      { size: 'S', available_quantity: 4 },
      { size: 'M', available_quantity: 6 },
    ],
  });
  expect(tee).toMatchObject({ current_price: '24.00', sale_price: '24.00', images: ['https://cdn.example.com/tee-front.jpg', 'https://cdn.example.com/tee-back.jpg'] });
  await seller(201, 'POST', '/api/v1/products/', { product_name: `Linen cap ${tag}`, price: '12.00', category: 'Clothing', brand: 'Nilewear', available_quantity: 0 });

  // The storefront's search: q on name/description, price on what a buyer pays, in stock, cheapest first.
  const found = await anonymous(200, 'GET', `/api/v1/products/?store_id=${store}&q=SUMMER&min_price=20&max_price=25&in_stock=true&sort=price`);
  expect(found.items.map((p: { id: string }) => p.id)).toEqual([tee.id]);
  expect(found.items[0]).not.toHaveProperty('sold_quantity');
  expect((await anonymous(200, 'GET', `/api/v1/products/?store_id=${store}&sort=-price&page_size=1`)).total).toBe(2);
  expect((await seller(200, 'GET', `/api/v1/products/${tee.id}/`)).sold_quantity).toBe(0);
  await anonymous(400, 'GET', '/api/v1/products/?page_size=100000');

  // Added at the sale price.
  await buyer(201, 'POST', '/api/v1/carts/add/', { product_id: tee.id, size: 'M', quantity: 2 });
  expect((await buyer(200, 'GET', '/api/v1/carts/')).total).toBe('48.00');

  // The sale ends before the checkout: not charged unseen.
  await seller(200, 'PATCH', `/api/v1/products/${tee.id}/`, { sale_price: null });
  const refused = await buyer(409, 'POST', '/api/v1/carts/checkout/full/', { shipping_address: '1 Nile St, Khartoum' });
  expect(refused.error).toMatchObject({ code: 'PRICES_CHANGED', details: { items: [expect.objectContaining({ old_price: '24.00', new_price: '30.00' })] } });
  expect((await buyer(200, 'GET', '/api/v1/carts/')).total).toBe('60.00');
  const placed = await buyer(201, 'POST', '/api/v1/carts/checkout/full/', { shipping_address: '1 Nile St, Khartoum' });
  expect(placed).toMatchObject({ total_amount: '60.00', items: [expect.objectContaining({ price: '30.00', quantity: 2 })] });
  const orderId: string = placed.order_id;
  const order = await eventuallyValue<{ status: string; total_amount: string; items: Array<{ price: string; quantity: number }> }>(
    () => buyer(200, 'GET', `/api/v1/orders/${orderId}/`),
    (o) => o.status === 'under_paying',
  );
  expect(order.total_amount).toBe('60.00');
  expect(order.items[0]).toMatchObject({ price: '30.00', quantity: 2 });

  // M is reserved by the order: neither renamed nor removed; S is free to go.
  const sizeId = (name: string) => tee.sizes.find((s: { size: string }) => s.size === name).size_id;
  const busy = await seller(409, 'DELETE', `/api/v1/products/${tee.id}/sizes/${sizeId('M')}/`);
  expect(busy.error.code).toBe('SIZE_HAS_RESERVATIONS');
  expect((await seller(409, 'PATCH', `/api/v1/products/${tee.id}/sizes/${sizeId('M')}/`, { size: 'Medium' })).error.code).toBe('SIZE_HAS_RESERVATIONS');
  await buyer(403, 'DELETE', `/api/v1/products/${tee.id}/sizes/${sizeId('S')}/`);
  expect((await seller(200, 'PATCH', `/api/v1/products/${tee.id}/sizes/${sizeId('S')}/`, { size: 'Small' })).sizes.map((s: { size: string }) => s.size)).toEqual(['M', 'Small']);
  await seller(204, 'DELETE', `/api/v1/products/${tee.id}/sizes/${sizeId('S')}/`);
  const stock = await seller(200, 'GET', `/api/v1/products/${tee.id}/stock/`);
  expect(stock).toMatchObject({ available_quantity: 4, reserved_quantity: 2, sold_quantity: 0, sizes: [{ size: 'M', available_quantity: 4, reserved_quantity: 2 }] });
  expect(await anonymous(200, 'GET', `/api/v1/products/${tee.id}/stock/`)).not.toHaveProperty('sold_quantity');

  // The history: created, then the sale's end; the order's snapshot stays with the order.
  await anonymous(401, 'GET', `/api/v1/products/${tee.id}/history/`);
  const history = await buyer(200, 'GET', `/api/v1/products/${tee.id}/history/`);
  expect(history.items.map((h: { reason: string; product_price: string; current_price: string }) => [h.reason, h.product_price, h.current_price])).toEqual([
    ['price_changed', '30.00', '30.00'],
    ['created', '30.00', '24.00'],
  ]);
  expect(history.items[0].snapshot_taken_at).toEqual(expect.any(String));
});
