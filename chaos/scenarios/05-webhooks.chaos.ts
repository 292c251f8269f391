// Hostile and unreliable gateway webhooks, beside the steady checkout stream: forged ones (no
// signature, wrong secret, body changed after signing, stale timestamp) must be refused and
// change nothing; duplicated ones (same event id at once, the same news under new ids) must
// apply once; reordered ones (a failure after the success, a success before any attempt) must not
// move a payment backwards; a success arriving after the order expired must end refunded.
import { createHmac, randomUUID } from 'node:crypto';
import { Caller, sleep } from '../../tests/e2e/test/load';
import { startChaosRun, type ChaosRun } from '../src/harness';

const SECRET = 'whsec_chaos_suite_secret';
let run: ChaosRun;
beforeAll(async () => {
  run = await startChaosRun('webhooks', { env: { payment: { STRIPE_WEBHOOK_SECRET: SECRET } } });
}, 180_000);
afterAll(async () => {
  await run?.close();
});

const sign = (raw: string, secret = SECRET, t = Math.floor(Date.now() / 1000)) =>
  `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex')}`;

function stripeEvent(type: 'payment_intent.succeeded' | 'payment_intent.payment_failed', paymentId: string, id = `evt_${randomUUID()}`): string {
  return JSON.stringify({
    id,
    type,
    data: {
      object: {
        id: `pi_${paymentId.slice(0, 8)}`,
        metadata: { payment_id: paymentId },
        ...(type === 'payment_intent.payment_failed' ? { last_payment_error: { code: 'card_declined', message: 'declined' } } : {}),
      },
    },
  });
}

async function deliver(raw: string, signature: string | undefined): Promise<{ status: number; result: string }> {
  const res = await fetch(`${run.platform.httpUrl('payment')}/api/v1/payments/webhooks/stripe/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) },
    body: raw,
  });
  const body = (await res.json().catch(() => null)) as { result?: string; error?: { code?: string } } | null;
  return { status: res.status, result: body?.result ?? body?.error?.code ?? '' };
}

/** A buyer with an under_paying order and a pending (never processed) payment for it. */
async function pendingPayment(): Promise<{ buyer: Caller; orderId: string; paymentId: string }> {
  const buyer = new Caller(run.platform, { sub: `webhook-buyer-${randomUUID()}`, role: 'buyer' });
  const placed = await buyer.callRetrying(
    'cart',
    'POST',
    '/api/v1/carts/checkout/single/',
    { product_id: run.products[1].id, quantity: 1, shipping_address: 'webhook st' },
    { 'idempotency-key': randomUUID() },
  );
  const orderId: string = placed.body?.order_id;
  if (!orderId) throw new Error(`checkout failed: ${placed.status} ${JSON.stringify(placed.body)}`);
  run.orderIds.add(orderId);
  for (let i = 0; i < 60; i++) {
    const o = await buyer.call('order', 'GET', `/api/v1/orders/${orderId}/`);
    if (o.body?.status === 'under_paying') break;
    await sleep(250);
  }
  const created = await buyer.callRetrying('payment', 'POST', '/api/v1/payments/create/', { order_id: orderId, gateway: 'test_gateway' });
  if (created.status !== 201) throw new Error(`payment create failed: ${created.status} ${JSON.stringify(created.body)}`);
  return { buyer, orderId, paymentId: created.body.payment_id };
}

const orderStatus = async (buyer: Caller, orderId: string) => (await buyer.call('order', 'GET', `/api/v1/orders/${orderId}/`)).body?.status;
async function waitStatus(buyer: Caller, orderId: string, status: string, timeoutMs = 30_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    last = await orderStatus(buyer, orderId);
    if (last === status) return last;
    await sleep(300);
  }
  return last;
}
const paymentRow = async (paymentId: string) =>
  (
    await run.query<{ status: string; attempt_count: number }>('payment', 'SELECT status::text, attempt_count FROM payments WHERE payment_id = $1', [paymentId])
  )[0];
const tally = (xs: { status: number; result: string }[]) =>
  xs.reduce<Record<string, number>>((m, x) => ((m[`${x.status} ${x.result}`] = (m[`${x.status} ${x.result}`] ?? 0) + 1), m), {});

test('forged, duplicated, reordered and late webhooks: refused, applied once, never backwards, refunded when late', async () => {
  const load = run.startLoad({ durationMs: 40_000, concurrency: 6 });
  const measured: Record<string, unknown> = {};

  // Forged: each variant refused with 400 and nothing recorded or changed.
  const forged = await pendingPayment();
  const genuine = stripeEvent('payment_intent.succeeded', forged.paymentId);
  const tampered = genuine.replace('"metadata"', '"metadata2":{},"metadata"');
  const forgeries = await Promise.all([
    deliver(genuine, undefined),
    deliver(genuine, sign(genuine, 'whsec_not_the_secret')),
    deliver(tampered, sign(genuine)),
    deliver(genuine, sign(genuine, SECRET, Math.floor(Date.now() / 1000) - 3_600)),
    deliver(genuine, `t=${Math.floor(Date.now() / 1000)},v0=${'0'.repeat(64)}`),
    deliver(genuine, 'garbage'),
  ]);
  measured.forged = tally(forgeries);
  const afterForgery = await paymentRow(forged.paymentId);
  const forgedRecorded = await run.query('payment', `SELECT event_id FROM webhook_events WHERE payload->'data'->'object'->'metadata'->>'payment_id' = $1`, [
    forged.paymentId,
  ]);
  run.say(`forged webhooks: ${JSON.stringify(measured.forged)}; payment still ${afterForgery.status}; events recorded ${forgedRecorded.length}`);
  expect(forgeries.every((f) => f.status === 400)).toBe(true);
  expect(afterForgery.status).toBe('pending');
  expect(forgedRecorded).toHaveLength(0);

  // Duplicated: the same event six times at once, then the same news under three new ids.
  const dup = await pendingPayment();
  const dupEvent = stripeEvent('payment_intent.succeeded', dup.paymentId);
  const sameId = await Promise.all(Array.from({ length: 6 }, () => deliver(dupEvent, sign(dupEvent))));
  const newIds = await Promise.all(
    Array.from({ length: 3 }, () => {
      const e = stripeEvent('payment_intent.succeeded', dup.paymentId);
      return deliver(e, sign(e));
    }),
  );
  measured.duplicated = { same_event_id_x6: tally(sameId), new_event_ids_x3: tally(newIds) };
  measured.duplicated_order = await waitStatus(dup.buyer, dup.orderId, 'processing');
  run.say(`duplicated webhooks: ${JSON.stringify(measured.duplicated)}; order → ${String(measured.duplicated_order)}`);
  expect([...sameId, ...newIds].filter((r) => r.result === 'applied')).toHaveLength(1);
  expect(measured.duplicated_order).toBe('processing');

  // Reordered: a failure before any attempt, the success, then a late failure.
  const re = await pendingPayment();
  const reorder = [];
  for (const type of ['payment_intent.payment_failed', 'payment_intent.succeeded', 'payment_intent.payment_failed'] as const) {
    const e = stripeEvent(type, re.paymentId);
    reorder.push({ type, ...(await deliver(e, sign(e))) });
  }
  measured.reordered = reorder.map((r) => `${r.type}: ${r.result}`);
  measured.reordered_order = await waitStatus(re.buyer, re.orderId, 'processing');
  const reRow = await paymentRow(re.paymentId);
  run.say(`reordered webhooks: ${JSON.stringify(measured.reordered)}; payment ${reRow.status}, order → ${String(measured.reordered_order)}`);
  expect(reRow.status).toBe('completed');
  expect(measured.reordered_order).toBe('processing');

  // Simulated test-mode webhooks, duplicated at once (an admin's: buyers may not settle payments).
  const sim = await pendingPayment();
  const simId = randomUUID();
  const operator = new Caller(run.platform, { sub: `webhook-admin-${randomUUID()}`, role: 'admin' });
  const simmed = await Promise.all(
    Array.from({ length: 5 }, () =>
      operator.call('payment', 'POST', '/api/v1/payments/test/webhook/', { payment_id: sim.paymentId, event: 'payment.succeeded', event_id: simId }),
    ),
  );
  measured.simulated_x5 = tally(simmed.map((r) => ({ status: r.status, result: r.body?.result ?? r.body?.error?.code })));
  run.say(`simulated webhook x5 (one event id): ${JSON.stringify(measured.simulated_x5)}`);
  expect(simmed.filter((r) => r.body?.result === 'applied')).toHaveLength(1);

  // Late: the order expires unpaid, then the gateway says the charge went through after all.
  const late = await pendingPayment();
  measured.late_order_before = await waitStatus(late.buyer, late.orderId, 'cancelled', 40_000);
  for (let i = 0; i < 40 && (await paymentRow(late.paymentId)).status === 'pending'; i++) await sleep(250);
  const lateStatusBefore = (await paymentRow(late.paymentId)).status;
  const lateEvent = stripeEvent('payment_intent.succeeded', late.paymentId);
  measured.late = (await deliver(lateEvent, sign(lateEvent))).result;
  run.say(`late success webhook on an expired order (payment was ${lateStatusBefore}, order ${String(measured.late_order_before)}): ${String(measured.late)}`);

  const result = await load;
  const report = await run.verdict(result, measured);
  const [lateRefund] = await run.query<{ status: string; refunded: string }>(
    'payment',
    `SELECT p.status::text, COALESCE((SELECT sum(amount) FROM refunds r WHERE r.payment_id = p.payment_id AND r.status = 'completed'), 0)::text AS refunded FROM payments p WHERE payment_id = $1`,
    [late.paymentId],
  );
  run.say(`late payment now ${lateRefund.status}, refunded ${lateRefund.refunded}`);
  // Either the late success is applied (then the saga must refund it: the checker's "every
  // cancelled order that was charged is refunded" covers it) or it is refused; never a charge kept.
  if (measured.late === 'applied') expect(lateRefund.status).toBe('refunded');
  expect(report.violations).toEqual([]);
});
