// The saga dashboard in a real browser (Debian's chromium driven by playwright-core): an admin
// logs in with a token, finds the saga stuck because inventory is down, opens it, presses retry
// once inventory is back, and watches the saga complete. A screenshot of each page is kept in
// .test-results/artifacts/ (gitignored) for a person to look at.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { context, startTelemetry, trace, type Telemetry } from '@sudamall/shared/telemetry';
import { eventually, testToken } from '@sudamall/shared/testing';
import { buildTestApp, startHarness, type Harness } from '../fixtures/harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(__dirname, '..', '..', '..', '..', '.test-results', 'artifacts');
const BROWSER_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let h: Harness;
let app: FastifyInstance;
let base: string;
let browser: Browser;
/** Inventory is "down" (commands go unanswered) until a test brings it back. */
let inventoryUp = false;
let telemetry: Telemetry;

beforeAll(async () => {
  // Context propagation (what puts the checkout's trace id on the saga); nothing is exported.
  telemetry = startTelemetry({ serviceName: 'order-test' });
  // CI on a fresh machine: install the browser the first time (scripts/platform.sh up does the same).
  if (!existsSync(CHROMIUM))
    execFileSync('bash', [path.join(__dirname, '..', '..', '..', '..', 'scripts', 'platform.sh'), 'ensure-chromium'], { stdio: 'inherit' });
  h = await startHarness({
    env: {
      // Re-sends every 200-400 ms; one second without progress (or two re-sends) flags the saga stuck.
      SAGA_RETRY_BASE_MS: '200',
      SAGA_RETRY_MAX_MS: '400',
      SAGA_STEP_TIMEOUT_SECONDS: '1',
      SAGA_MAX_ATTEMPTS: '2',
      TRACE_URL_TEMPLATE: 'http://tracing.example:16686/trace/{trace_id}',
    },
  });
  h.onCommand = async (e) => {
    if (!inventoryUp) return;
    if (e.type === 'inventory.reserve') {
      await h.publish('inventory.events', 'stock.reserved', {
        order_id: e.data.order_id,
        lines: e.data.lines.map((l) => ({ ...l, reservation_id: randomUUID() })),
      });
    } else if (e.type === 'inventory.confirm') {
      await h.publish('inventory.events', 'stock.confirmed', { order_id: e.data.order_id });
    }
  };
  app = await buildTestApp(h);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_FLAGS, headless: true });
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await h?.close();
  await telemetry?.shutdown();
});

async function placeStuckOrder(): Promise<{ orderId: string; userId: string }> {
  const product = h.catalog.add({ name: 'Linen shirt', price: '24.90' });
  const userId = `buyer-${randomUUID().slice(0, 8)}`;
  // As if the checkout's REST call were traced: the saga keeps the trace id for the dashboard's link.
  const traced = trace.setSpanContext(context.active(), {
    traceId: randomUUID().replace(/-/g, ''),
    spanId: randomUUID().replace(/-/g, '').slice(0, 16),
    traceFlags: 1,
  });
  const { orderId } = await context.with(traced, () =>
    h.c.useCases.placeOrder.execute({
      userId,
      idempotencyKey: randomUUID(),
      items: [{ productId: product.id, quantity: 2 }],
      shippingAddress: '1 Quay Street',
      waitMs: 0,
    }),
  );
  await eventually(
    async () => {
      const { items } = await h.c.useCases.listDashboardSagas.execute({ orderId, stuck: true, page: 1, pageSize: 10 });
      expect(items).toHaveLength(1);
    },
    { timeoutMs: 20000, intervalMs: 200 },
  );
  return { orderId, userId };
}

async function login(page: Page, token: string): Promise<void> {
  await page.fill('#token', token);
  await page.click('#login-form button[type=submit]');
}

test('an admin finds a stuck saga, retries it in the browser and sees it complete; everything is audited', async () => {
  const { orderId, userId } = await placeStuckOrder();
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // The pages run under a strict Content-Security-Policy: nothing of theirs may trip it.
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) pageErrors.push(m.text());
  });

  // A buyer's token is refused; an admin's opens the list.
  await page.goto(`${base}/admin/sagas/`);
  await login(page, testToken({ sub: userId, role: 'buyer' }));
  await expect(page.locator('#login-error').textContent()).resolves.toContain('Refused');
  await login(page, testToken({ sub: 'ops-ana', role: 'admin' }));
  await page.waitForSelector('#app:not([hidden])');
  await expect(page.locator('#who').textContent()).resolves.toContain('ops-ana');

  // Stuck only, this buyer: the row is there, flagged, with the counts above it.
  await page.check('input[name=stuck]');
  await page.fill('input[name=user_id]', userId);
  await page.click('#filters button[type=submit]');
  const row = page.locator(`tr[data-order-id="${orderId}"]`);
  await row.waitFor();
  await expect(row.locator('.badge.stuck').count()).resolves.toBe(1);
  await expect(page.locator('.count[data-state="stuck"] b').textContent()).resolves.toMatch(/^[1-9]\d*$/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'saga-dashboard-list.png'), fullPage: true });

  // Open it: the step timeline shows the command, its re-sends and the stuck error.
  await row.locator('a').click();
  await page.waitForURL(`**/admin/sagas/${orderId}`);
  await page.waitForSelector('#summary .badge.stuck');
  await expect(page.locator('#timeline tr.step[data-kind="command"]').count()).resolves.toBeGreaterThanOrEqual(1);
  await expect(page.locator('#timeline tr.step[data-kind="retry"]').count()).resolves.toBeGreaterThanOrEqual(1);
  await expect(page.locator('#timeline tr.step[data-kind="error"]').count()).resolves.toBeGreaterThanOrEqual(1);
  const traceHref = await page.locator('#trace-link').getAttribute('href');
  expect(traceHref).toMatch(/^http:\/\/tracing\.example:16686\/trace\/[0-9a-f]{32}$/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'saga-dashboard-stuck.png'), fullPage: true });

  // The operator retries with a note as inventory comes back (back any earlier, the saga's own
  // re-sends would finish the step first and there would be nothing left to retry).
  await page.fill('#note', 'inventory was down; retried after recovery');
  await page.click('button[data-action="retry"]');
  inventoryUp = true;
  await page.locator('#action-result', { hasText: 'Done: retry' }).waitFor();
  // The reservation lands and the saga waits for the buyer's payment, which then comes.
  await page.waitForSelector('#summary .badge.awaiting_payment', { timeout: 20000 });
  await h.publish('payment.events', 'payment.succeeded', {
    payment_id: randomUUID(),
    order_id: orderId,
    user_id: userId,
    gateway: 'test_gateway',
    amount: '49.80',
    gateway_fee: '1.49',
    total_amount: '51.29',
  });
  // The page refreshes itself: the saga is done, the order processing, the reservation confirmed.
  await page.waitForSelector('#summary .badge.done', { timeout: 20000 });
  await page.waitForSelector('#order .badge.processing', { timeout: 10000 });
  await page.waitForSelector('#reservations .badge.confirmed', { timeout: 10000 });
  await expect(page.locator('#summary .badge.stuck').count()).resolves.toBe(0);
  await expect(page.locator('#audit').textContent()).resolves.toContain('inventory was down; retried after recovery');
  await expect(page.locator('#timeline tr.step[data-kind="admin"]').count()).resolves.toBe(1);
  await expect(page.locator('button[data-action="retry"]').isDisabled()).resolves.toBe(true);
  await page.screenshot({ path: path.join(ARTIFACTS, 'saga-dashboard-done.png'), fullPage: true });

  expect(pageErrors).toEqual([]);
  const actions = await h.c.useCases.getSagaDetail.execute(orderId);
  expect(actions.actions).toEqual([
    expect.objectContaining({
      action: 'retry',
      actor_id: 'ops-ana',
      actor_role: 'admin',
      state_before: 'reserving',
      state_after: 'reserving',
      note: 'inventory was down; retried after recovery',
    }),
  ]);
  await page.close();
});

test('the JSON endpoints refuse non-admins, and an action repeated with its key acts once', async () => {
  inventoryUp = false;
  const { orderId, userId } = await placeStuckOrder();
  const call = (token: string, method: string, url: string, body?: unknown) =>
    fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  const admin = testToken({ sub: 'ops-bo', role: 'admin' });

  expect((await fetch(`${base}/admin/sagas/api/sagas`)).status).toBe(401);
  expect((await call(testToken({ sub: userId, role: 'buyer' }), 'GET', `/admin/sagas/api/sagas/${orderId}`)).status).toBe(403);
  expect(
    (
      await call(testToken({ sub: 'seller-1', role: 'seller', store_id: 'store-a' }), 'POST', `/admin/sagas/api/sagas/${orderId}/actions/retry`, {
        idempotency_key: randomUUID(),
        note: '',
      })
    ).status,
  ).toBe(403);
  expect((await call(admin, 'POST', `/admin/sagas/api/sagas/${orderId}/actions/explode`, { idempotency_key: randomUUID(), note: '' })).status).toBe(400);
  const noNote = await call(admin, 'POST', `/admin/sagas/api/sagas/${orderId}/actions/resolve`, { idempotency_key: randomUUID(), note: ' ' });
  expect(noNote.status).toBe(400);
  expect(((await noNote.json()) as { error: { code: string } }).error.code).toBe('NOTE_REQUIRED');

  // Compensate twice with one key (a double click): one cancellation, one audit row, the same answer.
  const key = randomUUID();
  const [a, b] = await Promise.all([
    call(admin, 'POST', `/admin/sagas/api/sagas/${orderId}/actions/compensate`, { idempotency_key: key, note: 'buyer asked by phone' }),
    call(admin, 'POST', `/admin/sagas/api/sagas/${orderId}/actions/compensate`, { idempotency_key: key, note: 'buyer asked by phone' }),
  ]);
  expect([a.status, b.status]).toEqual([200, 200]);
  const outcomes = [(await a.json()) as { replayed: boolean }, (await b.json()) as { replayed: boolean }];
  expect(outcomes.map((o) => o.replayed).sort()).toEqual([false, true]);
  // The same key for another action is a conflict, not a silent replay.
  const reused = await call(admin, 'POST', `/admin/sagas/api/sagas/${orderId}/actions/retry`, { idempotency_key: key, note: '' });
  expect(reused.status).toBe(409);

  const detail = await h.c.useCases.getSagaDetail.execute(orderId);
  expect(detail.actions).toHaveLength(1);
  expect(detail.order.status).toBe('cancelled');
  expect(detail.order.status_history.at(-1)).toMatchObject({
    to_status: 'cancelled',
    changed_by: 'ops-bo',
    actor_role: 'admin',
    notes: 'buyer asked by phone',
  });
  expect(['compensating', 'compensated']).toContain(detail.saga.state);
  // The release went out to inventory (the reserve may still land: the release, behind it, undoes it).
  await eventually(() => expect(h.commands.some((e) => e.key === orderId && e.type === 'inventory.release')).toBe(true));
});
