// Issue 12, item 1 end to end: a second capture of a paid order is refunded automatically and
// shown on the saga dashboard. The four real services behind the real gateway (nginx, rendered
// by scripts/lib/gateway.sh as `npm run up` does), the dashboard in Debian's chromium: its
// "Duplicate captures" section reads the payment service's admin list through the gateway.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { testToken } from '@sudamall/shared/testing';
import { ApiClient, eventuallyValue, expectStatus, startPlatform, type Platform, startGateway, type Gateway } from './platform';

const ROOT = join(__dirname, '..', '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, '.test-results', 'artifacts');
const BROWSER_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let platform: Platform;
let gateway: Gateway;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) execFileSync('bash', [join(ROOT, 'scripts', 'platform.sh'), 'ensure-chromium'], { stdio: 'inherit' });
  platform = await startPlatform({ ownDatabases: true });
  gateway = await startGateway(platform, 'duplicates');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_FLAGS, headless: true });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  gateway?.stop();
  await platform?.stop();
});

test('a second capture is refunded automatically and listed on the saga dashboard', async () => {
  const seller = ApiClient.as(platform, { sub: `seller-${randomUUID()}`, role: 'seller', store_id: `store-${randomUUID().slice(0, 8)}` });
  const buyer = ApiClient.as(platform, { sub: `buyer-${randomUUID()}`, role: 'buyer' });
  const admin = ApiClient.as(platform, { sub: 'ops-duplicates', role: 'admin' });
  const product = await expectStatus(
    201,
    seller.api.inventory.POST('/api/v1/products', { body: { product_name: 'Twice-paid teapot', price: '30.00', has_sizes: false, available_quantity: 5 } }),
  );
  const order = await expectStatus(
    201,
    buyer.api.cart.POST('/api/v1/carts/checkout/single', {
      params: { header: { 'idempotency-key': randomUUID() } },
      body: { product_id: product.id, quantity: 1, shipping_address: '2 Double St' },
    }),
  );
  const payment = await expectStatus(201, buyer.api.payment.POST('/api/v1/payments/create', { body: { order_id: order.order_id, gateway: 'test_gateway' } }));
  const paid = await expectStatus(
    200,
    buyer.api.payment.POST('/api/v1/payments/process', { body: { payment_id: payment.payment_id, card_number: '4242424242424242' } }),
  );
  expect(paid.payment.status).toBe('completed');

  // The gateway reports a second capture for the same payment (another transaction).
  const second = `test_txn_second_${randomUUID().slice(0, 8)}`;
  const ack = await expectStatus(
    200,
    admin.api.payment.POST('/api/v1/payments/test/webhook', {
      body: { payment_id: payment.payment_id, event: 'payment.succeeded', event_id: randomUUID(), transaction_id: second },
    }),
  );
  expect(ack).toMatchObject({ applied: false, result: 'ignored:duplicate_capture' });
  const listed = await eventuallyValue(
    () => expectStatus(200, admin.api.payment.GET('/api/v1/payments/admin/duplicate-captures', { params: { query: { order_id: order.order_id } } })),
    (r) => r.items.length === 1 && r.items[0].status === 'refunded',
  );
  expect(listed.items[0]).toMatchObject({
    payment_id: payment.payment_id,
    transaction_id: second,
    amount: payment.total_amount,
    gateway_refund_id: expect.stringMatching(/^test_refund_/),
  });
  // The payment keeps its first capture and is not refunded.
  const detail = await expectStatus(
    200,
    admin.api.payment.GET('/api/v1/payments/detail/{payment_id}', { params: { path: { payment_id: payment.payment_id } } }),
  );
  expect([detail.status, detail.gateway_transaction_id, detail.refunded_amount]).toEqual(['completed', paid.payment.gateway_transaction_id, '0.00']);
  const metrics = await (await fetch(`${platform.httpUrl('payment')}/metrics`)).text();
  expect(metrics).toMatch(/^payment_duplicate_captures_total\{gateway="test_gateway",service="payment"\} 1$/m);

  const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) pageErrors.push(m.text());
  });
  await page.goto(`${gateway.url}/admin/sagas/`);
  await page.fill('#token', testToken({ sub: 'ops-duplicates', role: 'admin' }));
  await page.click('#login-form button[type=submit]');
  const row = page.locator(`tr.duplicate-capture[data-id="${listed.items[0].id}"]`);
  await row.waitFor({ timeout: 30_000 });
  const text = (await row.textContent()) ?? '';
  expect(text).toContain(order.order_id);
  expect(text).toContain(second);
  expect(text).toContain('refunded');
  expect(await row.getAttribute('data-status')).toBe('refunded');
  expect(await page.locator('#duplicates-error').textContent()).toBe('');
  await page.screenshot({ path: join(ARTIFACTS, 'saga-dashboard-duplicate-captures.png'), fullPage: true });
  expect(pageErrors).toEqual([]);
  await page.close();
}, 180_000);
