// The saga dashboard's "Parked messages" section in a real browser (Debian's chromium through
// playwright-core): replies the saga consumer gave up on are listed; the operator retries one
// after the fix (the order moves on) and discards another with a reason, both audited. Served by
// the order service alone (no gateway), so the other services' lists say they are not reachable.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { createEnvelope, type AnyEnvelope, type Envelope } from '@sudamall/shared';
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
const broken = new Set<string>();

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    execFileSync('bash', [path.join(__dirname, '..', '..', '..', '..', 'scripts', 'platform.sh'), 'ensure-chromium'], { stdio: 'inherit' });
  h = await startHarness({ env: { KAFKA_MAX_ATTEMPTS: '2', KAFKA_RETRY_BASE_MS: '20', KAFKA_RETRY_MAX_MS: '50' } });
  const saga = h.c.useCases.saga;
  const handleReply = saga.handleReply.bind(saga);
  saga.handleReply = async (consumer: string, envelope: Envelope) => {
    if (broken.has(envelope.id)) throw new TypeError(`cannot read properties of undefined (reading 'lines')`);
    return handleReply(consumer, envelope);
  };
  // Replies fetched together go through handleReplies; the bus then hands each to handleReply.
  const handleReplies = saga.handleReplies.bind(saga);
  saga.handleReplies = async (consumer, replies) => {
    if (replies.some((r) => broken.has(r.envelope.id))) throw new TypeError(`cannot read properties of undefined (reading 'lines')`);
    return handleReplies(consumer, replies);
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
});

/** An order whose stock.reserved reply the saga consumer fails on (until the test fixes it). */
async function poisonedOrder(): Promise<{ orderId: string; reply: AnyEnvelope }> {
  const product = h.catalog.add({ name: 'Wool scarf', price: '18.00' });
  const { orderId } = await h.c.useCases.placeOrder.execute({
    userId: randomUUID(),
    idempotencyKey: randomUUID(),
    items: [{ productId: product.id, quantity: 1 }],
    shippingAddress: '1 Quay Street',
    waitMs: 0,
  });
  const reserve = await eventually(() => {
    const c = h.commands.find((e) => e.key === orderId && e.type === 'inventory.reserve');
    expect(c).toBeDefined();
    return c!;
  });
  const lines = (reserve.data as { lines: Array<{ line_id: string; product_id: string; size: string | null; quantity: number }> }).lines;
  const reply = createEnvelope('stock.reserved', orderId, {
    order_id: orderId,
    lines: lines.map((l) => ({ ...l, reservation_id: randomUUID() })),
  }) as AnyEnvelope;
  broken.add(reply.id);
  await h.publishEnvelope('inventory.events', reply);
  await eventually(
    async () => {
      const { items } = await h.c.useCases.parked.list({ status: 'parked', limit: 50, offset: 0 });
      expect(items.map((i) => i.envelope?.id)).toContain(reply.id);
    },
    { timeoutMs: 30000 },
  );
  return { orderId, reply };
}

const statusOf = async (orderId: string) => (await h.c.db.order.findUniqueOrThrow({ where: { id: orderId } })).status;

test('an operator retries a parked reply after the fix and discards another, in the browser', async () => {
  const fixed = await poisonedOrder();
  const dropped = await poisonedOrder();
  const [fixedRow, droppedRow] = await Promise.all(
    [fixed, dropped].map(async (p) =>
      (await h.c.useCases.parked.list({ status: 'parked', limit: 50, offset: 0 })).items.find((i) => i.envelope?.id === p.reply.id)!,
    ),
  );

  const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) pageErrors.push(m.text());
  });
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${base}/admin/sagas/`);
  await page.fill('#token', testToken({ sub: 'ops-ana', role: 'admin' }));
  await page.click('#login-form button[type=submit]');

  const rowOf = (id: string) => page.locator(`tr.parked-message[data-service="order"][data-id="${id}"]`);
  await rowOf(fixedRow.id).waitFor();
  await rowOf(droppedRow.id).waitFor();
  await expect(rowOf(fixedRow.id).textContent()).resolves.toContain('stock.reserved');
  await expect(rowOf(fixedRow.id).textContent()).resolves.toContain("cannot read properties of undefined (reading 'lines')");
  // Without the gateway, the other services' lists cannot be reached from this origin, and say so.
  await expect(page.locator('#parked-errors').textContent()).resolves.toContain('inventory');
  await page.screenshot({ path: path.join(ARTIFACTS, 'saga-dashboard-parked.png'), fullPage: true });

  // The bug is fixed: Retry re-runs the saga's handler, and the order moves on.
  broken.delete(fixed.reply.id);
  await page.fill('#parked-note', 'lines parser fixed in v1.4.2');
  await rowOf(fixedRow.id).locator('button[data-parked-action="retry"]').click();
  await page.locator('#parked-result', { hasText: `Retried: order #${fixedRow.id} is retried` }).waitFor();
  await eventually(async () => expect(await statusOf(fixed.orderId)).toBe('under_paying'), { timeoutMs: 20000 });

  // Discard needs a reason.
  await rowOf(droppedRow.id).locator('button[data-parked-action="discard"]').click();
  await page.locator('#parked-result', { hasText: 'Say why in the note first.' }).waitFor();
  await page.fill('#parked-note', 'buyer cancelled; stock released by hand');
  await rowOf(droppedRow.id).locator('button[data-parked-action="discard"]').click();
  await page.locator('#parked-result', { hasText: `Discarded: order #${droppedRow.id} is discarded` }).waitFor();
  // The result is shown before the list reloads: wait for the reload to drop the row.
  await rowOf(droppedRow.id).waitFor({ state: 'detached' });

  // Any status: both are listed with who did what and why.
  await page.selectOption('#parked-filters select[name=status]', '');
  await rowOf(fixedRow.id).waitFor();
  await expect(rowOf(fixedRow.id).textContent()).resolves.toContain('ops-ana (admin)');
  await expect(rowOf(fixedRow.id).textContent()).resolves.toContain('lines parser fixed in v1.4.2');
  await expect(rowOf(droppedRow.id).textContent()).resolves.toContain('buyer cancelled; stock released by hand');
  await expect(rowOf(droppedRow.id).locator('button').count()).resolves.toBe(0);
  await page.screenshot({ path: path.join(ARTIFACTS, 'saga-dashboard-parked-resolved.png'), fullPage: true });

  expect(await statusOf(dropped.orderId)).toBe('pending');
  expect(await h.c.useCases.parked.get(droppedRow.id)).toMatchObject({
    status: 'discarded',
    resolvedBy: 'ops-ana (admin)',
    resolutionNote: 'buyer cancelled; stock released by hand',
  });
  expect(pageErrors).toEqual([]);
  await page.close();
});
