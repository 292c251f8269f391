// Issue 14's catalogue basics end to end, through the nginx gateway (infra/docker/nginx.conf,
// rendered by scripts/lib/gateway.sh as in gateway.test.ts) in front of the four real services:
// a seller lists a product with images and a sale price; a buyer finds it with the list's
// filters, adds it at the sale price, and is refused the end of the sale at checkout
// (PRICES_CHANGED) until the cart was read again; the order is priced at what was shown; a size
// with units reserved by the order cannot be removed, another can; the product's history lists
// its changes, not the order's snapshot; sold quantities are the seller's to see. Every call goes
// through the storefront's typed client (@sudamall/client) with the gateway as its one base URL.
import { randomUUID } from 'node:crypto';
import { createSudamallClient, type SudamallClient } from '@sudamall/client';
import { testToken } from '@sudamall/shared/testing';
import { eventuallyValue, expectStatus, startPlatform, type Platform, startGateway, type Gateway } from './platform';

let platform: Platform;
let gateway: Gateway;

beforeAll(async () => {
  platform = await startPlatform({ ownDatabases: true });
  gateway = await startGateway(platform, 'catalogue');
}, 120_000);

afterAll(async () => {
  gateway?.stop();
  await platform?.stop();
});

type Claims = { sub: string; role: 'buyer' | 'seller' | 'admin'; store_id?: string };

/** The storefront's client for one caller, every service through the gateway; null: anonymous. */
const clientAs = (claims: Claims | null): SudamallClient => createSudamallClient({ baseUrl: gateway.url, ...(claims ? { token: testToken(claims) } : {}) });

/** The error body of a call answered with `status`. */
async function expectError(status: number, call: Promise<{ error?: unknown; response: Response }>) {
  const { error, response } = await call;
  expect([response.url, response.status]).toEqual([response.url, status]);
  return (error as { error: { code: string; details?: Record<string, unknown> } }).error;
}

test('sale price, filters, checkout at the price shown, size rules and history through the gateway', async () => {
  const store = `store-${randomUUID().slice(0, 8)}`;
  const seller = clientAs({ sub: `seller-${randomUUID()}`, role: 'seller', store_id: store });
  const buyer = clientAs({ sub: `buyer-${randomUUID()}`, role: 'buyer' });
  const anonymous = clientAs(null);
  const tag = randomUUID().slice(0, 8);

  const tee = await expectStatus(
    201,
    seller.inventory.POST('/api/v1/products', {
      body: {
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
      },
    }),
  );
  expect(tee).toMatchObject({
    current_price: '24.00',
    sale_price: '24.00',
    images: ['https://cdn.example.com/tee-front.jpg', 'https://cdn.example.com/tee-back.jpg'],
  });
  await expectStatus(
    201,
    seller.inventory.POST('/api/v1/products', {
      body: { product_name: `Linen cap ${tag}`, price: '12.00', category: 'Clothing', brand: 'Nilewear', available_quantity: 0 },
    }),
  );

  // The storefront's search: q on name/description, price on what a buyer pays, in stock, cheapest first.
  const found = await expectStatus(
    200,
    anonymous.inventory.GET('/api/v1/products', {
      params: { query: { store_id: store, q: 'SUMMER', min_price: '20', max_price: '25', in_stock: true, sort: 'price' } },
    }),
  );
  expect(found.items.map((p) => p.id)).toEqual([tee.id]);
  expect(found.items[0]).not.toHaveProperty('sold_quantity');
  expect(
    (await expectStatus(200, anonymous.inventory.GET('/api/v1/products', { params: { query: { store_id: store, sort: '-price', page_size: 1 } } }))).total,
  ).toBe(2);
  expect((await expectStatus(200, seller.inventory.GET('/api/v1/products/{id}', { params: { path: { id: tee.id } } }))).sold_quantity).toBe(0);
  expect((await expectError(400, anonymous.inventory.GET('/api/v1/products', { params: { query: { page_size: 100_000 } } }))).code).toBe('VALIDATION_FAILED');

  // Added at the sale price (and another buyer holds size S, which the seller renames, then removes).
  await expectStatus(201, buyer.cart.POST('/api/v1/carts/add', { body: { product_id: tee.id, size: 'M', quantity: 2 } }));
  const holder = clientAs({ sub: `buyer-${randomUUID()}`, role: 'buyer' });
  await expectStatus(201, holder.cart.POST('/api/v1/carts/add', { body: { product_id: tee.id, size: 'S', quantity: 1 } }));
  expect((await expectStatus(200, buyer.cart.GET('/api/v1/carts'))).total).toBe('48.00');

  // The sale ends before the checkout: not charged unseen.
  await expectStatus(200, seller.inventory.PATCH('/api/v1/products/{id}', { params: { path: { id: tee.id } }, body: { sale_price: null } }));
  const checkout = () => buyer.cart.POST('/api/v1/carts/checkout/full', { body: { shipping_address: '1 Nile St, Khartoum' } });
  const refused = await expectError(409, checkout());
  expect(refused).toMatchObject({ code: 'PRICES_CHANGED', details: { items: [expect.objectContaining({ old_price: '24.00', new_price: '30.00' })] } });
  expect((await expectStatus(200, buyer.cart.GET('/api/v1/carts'))).total).toBe('60.00');
  const placed = await expectStatus(201, checkout());
  expect(placed).toMatchObject({ total_amount: '60.00', items: [expect.objectContaining({ price: '30.00', quantity: 2 })] });
  const order = await eventuallyValue(
    () => expectStatus(200, buyer.order.GET('/api/v1/orders/{order_id}', { params: { path: { order_id: placed.order_id } } })),
    (o) => o.status === 'under_paying',
  );
  expect(order.total_amount).toBe('60.00');
  expect(order.items[0]).toMatchObject({ price: '30.00', quantity: 2 });

  // M is reserved by the order: neither renamed nor removed; S is free to go.
  const size = (name: string) => ({ path: { id: tee.id, size_id: tee.sizes.find((s) => s.size === name)!.size_id } });
  expect((await expectError(409, seller.inventory.DELETE('/api/v1/products/{id}/sizes/{size_id}', { params: size('M') }))).code).toBe('SIZE_HAS_RESERVATIONS');
  expect((await expectError(409, seller.inventory.PATCH('/api/v1/products/{id}/sizes/{size_id}', { params: size('M'), body: { size: 'Medium' } }))).code).toBe(
    'SIZE_HAS_RESERVATIONS',
  );
  expect((await expectError(403, buyer.inventory.DELETE('/api/v1/products/{id}/sizes/{size_id}', { params: size('S') }))).code).toBe('FORBIDDEN');
  const renamed = await expectStatus(200, seller.inventory.PATCH('/api/v1/products/{id}/sizes/{size_id}', { params: size('S'), body: { size: 'Small' } }));
  expect(renamed.sizes.map((s) => s.size)).toEqual(['M', 'Small']);
  // The holder's line follows the new name (inventory.events → cart's sync)...
  await eventuallyValue(
    () => expectStatus(200, holder.cart.GET('/api/v1/carts')),
    (c) => c.items.length === 1 && c.items[0].size === 'Small',
  );
  await expectStatus(204, seller.inventory.DELETE('/api/v1/products/{id}/sizes/{size_id}', { params: size('S') }));
  // ...and leaves the cart when the size is removed, with the reason shown.
  const emptied = await eventuallyValue(
    () => expectStatus(200, holder.cart.GET('/api/v1/carts')),
    (c) => c.items.length === 0,
  );
  expect(emptied.changes).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'size_removed', size: 'Small', product_id: tee.id })]));
  const stock = await expectStatus(200, seller.inventory.GET('/api/v1/products/{id}/stock', { params: { path: { id: tee.id } } }));
  expect(stock).toMatchObject({
    available_quantity: 4,
    reserved_quantity: 2,
    sold_quantity: 0,
    sizes: [{ size: 'M', available_quantity: 4, reserved_quantity: 2 }],
  });
  expect(await expectStatus(200, anonymous.inventory.GET('/api/v1/products/{id}/stock', { params: { path: { id: tee.id } } }))).not.toHaveProperty(
    'sold_quantity',
  );

  // The history: created, then the sale's end; the order's snapshot stays with the order.
  await expectError(401, anonymous.inventory.GET('/api/v1/products/{id}/history', { params: { path: { id: tee.id } } }));
  const history = await expectStatus(200, buyer.inventory.GET('/api/v1/products/{id}/history', { params: { path: { id: tee.id } } }));
  expect(history.items.map((h) => [h.reason, h.product_price, h.current_price])).toEqual([
    ['price_changed', '30.00', '30.00'],
    ['created', '30.00', '24.00'],
  ]);
  expect(history.items[0].snapshot_taken_at).toEqual(expect.any(String));

  // Bought while on sale: the order charges the sale price and its item keeps the snapshot of it.
  const mug = await expectStatus(
    201,
    seller.inventory.POST('/api/v1/products', {
      body: { product_name: `Clay mug ${tag}`, price: '10.00', sale_price: '8.00', available_quantity: 5 },
    }),
  );
  const saleBuyer = clientAs({ sub: `buyer-${randomUUID()}`, role: 'buyer' });
  await expectStatus(201, saleBuyer.cart.POST('/api/v1/carts/add', { body: { product_id: mug.id, quantity: 2 } }));
  const onSale = await expectStatus(201, saleBuyer.cart.POST('/api/v1/carts/checkout/full', { body: { shipping_address: '2 Nile St, Khartoum' } }));
  expect(onSale).toMatchObject({ total_amount: '16.00', items: [expect.objectContaining({ price: '8.00', quantity: 2 })] });
  const saleOrder = await expectStatus(200, saleBuyer.order.GET('/api/v1/orders/{order_id}', { params: { path: { order_id: onSale.order_id } } }));
  expect(saleOrder.items[0]).toMatchObject({
    price: '8.00',
    product_snapshot: expect.objectContaining({ price: '10.00', sale_price: '8.00', current_price: '8.00' }),
  });
  // The order's snapshot is not in the product's history.
  const mugHistory = await expectStatus(200, buyer.inventory.GET('/api/v1/products/{id}/history', { params: { path: { id: mug.id } } }));
  expect(mugHistory.items.map((h) => h.reason)).toEqual(['created']);
});
