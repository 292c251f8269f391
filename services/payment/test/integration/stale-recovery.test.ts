// Issue 12, item 2: recovery must not guess. A charge whose gateway answer arrives after the stale
// window is asked about at the gateway, never marked failed, never charged twice. In a schema of
// its own: the sweeps act on every stale row.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { pgConfigFromUrl } from '@sudamall/shared';
import { processPaymentOver, resumeStalePaymentsOver } from '../support/use-cases';
import type { ChargeRequest, Clock } from '../../src/app/ports';
import { loadConfig } from '../../src/config';
import { SELECT_STALE_PROCESSING } from '../../src/infra/payment-sql';
import { TestGateway } from '../../src/infra/gateways/test-gateway';
import { buyer, CARDS, FakeOrders, startHarness, type Harness } from '../support/harness';
import { createOwnSchema } from '../support/own-schema';

jest.setTimeout(120_000);

/** Holds the gateway's answer for the payments a test names, until the test lets it go. */
class HeldAnswers {
  private readonly gates = new Map<string, { promise: Promise<void>; release(): void; reached: Promise<void>; arrive(): void }>();
  hold(paymentId: string) {
    let release!: () => void;
    let arrive!: () => void;
    const promise = new Promise<void>((r) => (release = r));
    const reached = new Promise<void>((r) => (arrive = r));
    this.gates.set(paymentId, { promise, release, reached, arrive });
    return { reached, release };
  }
  readonly delay = async (req: ChargeRequest) => {
    const gate = this.gates.get(req.paymentId);
    if (!gate) return;
    gate.arrive();
    await gate.promise;
  };
}

class CountingGateway extends TestGateway {
  readonly keys: string[] = [];
  override async charge(req: ChargeRequest) {
    this.keys.push(req.idempotencyKey);
    return super.charge(req);
  }
  chargesOf(paymentId: string) {
    return this.keys.filter((k) => k.includes(paymentId));
  }
}

describe('stale payments: the gateway is asked before anything is decided', () => {
  let schema: Awaited<ReturnType<typeof createOwnSchema>>;
  const orders = new FakeOrders();
  const held = new HeldAnswers();
  const gateway = new CountingGateway({ answerDelay: held.delay });
  let shortWindow: Harness;
  let defaultWindow: Harness;

  beforeAll(async () => {
    schema = await createOwnSchema('stale');
    shortWindow = await startHarness({
      orders,
      gateways: [gateway],
      env: {
        DATABASE_URL: schema.databaseUrl,
        PAYMENT_STALE_PROCESSING_SECONDS: '1',
        STRIPE_TIMEOUT_MS: '300',
        STRIPE_MAX_NETWORK_RETRIES: '0',
        PAYPAL_TIMEOUT_MS: '300',
      },
    });
    defaultWindow = await startHarness({ orders, gateways: [gateway], env: { DATABASE_URL: schema.databaseUrl } });
  });
  afterAll(async () => {
    await shortWindow?.close();
    await defaultWindow?.close();
    await schema?.drop();
  });

  async function payment(h: Harness, total: string) {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: total });
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: 'test_gateway' },
    });
    expect(res.statusCode).toBe(201);
    return { user, order, paymentId: res.json().payment_id as string };
  }
  const process = (h: Harness, auth: string, paymentId: string) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: auth },
      payload: { payment_id: paymentId, card_number: CARDS.success },
    });
  const row = (h: Harness, paymentId: string) => h.container.prisma.payment.findUniqueOrThrow({ where: { paymentId } });

  it('an answer delayed past the stale window: the sweep leaves it open, a retry is refused, one charge, then completed', async () => {
    const h = shortWindow;
    const { user, order, paymentId } = await payment(h, '33.00');
    const gate = held.hold(paymentId);
    const first = process(h, user.auth, paymentId);
    await gate.reached; // the gateway has the charge and has not answered
    await new Promise((r) => setTimeout(r, 1500)); // past the 1 s window

    const swept = await h.container.useCases.resumeStalePayments.execute();
    expect(swept.open).toBeGreaterThanOrEqual(1);
    expect((await row(h, paymentId)).status).toBe('processing'); // not failed, not expired
    // The buyer, impatient, tries again: refused while the gateway still holds the charge.
    const retry = await process(h, user.auth, paymentId);
    expect(retry.statusCode).toBe(409);
    expect(retry.json().error.code).toBe('PAYMENT_IN_PROGRESS');
    expect(gateway.chargesOf(paymentId)).toEqual([`payment:${paymentId}:attempt:1`]);

    gate.release();
    const answered = await first;
    expect(answered.json()).toMatchObject({ outcome: 'succeeded', attempt_number: 1, payment: { status: 'completed' } });
    await h.container.useCases.resumeStalePayments.execute();
    const done = await row(h, paymentId);
    expect([done.status, done.attemptCount]).toEqual(['completed', 1]);
    expect(gateway.chargesOf(paymentId)).toEqual([`payment:${paymentId}:attempt:1`]);
    expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.succeeded', key: order.orderId } })).toBe(1);
    expect(await h.container.prisma.outboxMessage.count({ where: { type: 'payment.failed', key: order.orderId } })).toBe(0);
  });

  it('a gateway that answered while nobody listened: the sweep records its answer (declined → failed) without calling charge again', async () => {
    const h = shortWindow;
    const { order, paymentId } = await payment(h, '21.00');
    const claim = await h.container.useCaseDeps.charges.claimForProcessing({ paymentId, staleAfterSeconds: 1, cardLast4: '0002' });
    // The gateway declined it; the process that asked died before reading the answer.
    await gateway.charge({
      paymentId,
      orderId: order.orderId,
      attemptNumber: claim!.attemptNumber,
      idempotencyKey: claim!.idempotencyKey,
      amount: claim!.payment.totalAmount,
      currency: 'USD',
      input: { cardNumber: CARDS.declined },
      previousReference: null,
    });
    await new Promise((r) => setTimeout(r, 1200));
    const swept = await h.container.useCases.resumeStalePayments.execute();
    expect(swept.resumed).toBeGreaterThanOrEqual(1);
    const failed = await row(h, paymentId);
    expect([failed.status, failed.failureReason]).toEqual(['failed', 'card_declined']);
    expect(gateway.chargesOf(paymentId)).toHaveLength(1);
  });

  it('the stale rule runs on the injected clock everywhere: a sweep an hour ahead takes over an attempt the gateway never saw', async () => {
    const h = defaultWindow;
    expect(h.config.staleProcessingSeconds).toBe(90); // derived: Stripe's 20 s × 3 tries + 30 s
    const { paymentId } = await payment(h, '15.00');
    // Claimed by a process that crashed before the gateway call (the card is gone with it).
    await h.container.useCaseDeps.charges.claimForProcessing({ paymentId, staleAfterSeconds: 90, cardLast4: '4242' });
    const later: Clock = { now: () => new Date(Date.now() + 60 * 60_000) };
    const swept = await resumeStalePaymentsOver({ ...h.container.useCaseDeps, clock: later }).execute();
    expect(swept.resumed + swept.closed).toBeGreaterThanOrEqual(1);
    const detail = await h.container.useCaseDeps.payments.getPaymentDetail(paymentId);
    // An hour on, the order's window has closed, and the gateway says it never saw the attempt:
    // nothing was charged, so the payment expires (no guess, no charge).
    expect(detail?.payment.status).toBe('expired');
    expect(detail?.attempts.map((a) => [a.attemptNumber, a.status, a.failureCode])).toEqual([[1, 'error', 'NOT_CHARGED']]);
    expect(gateway.chargesOf(paymentId)).toEqual([]);
  });

  it('the buyer resuming a stale attempt on the injected clock gets the gateway answer, not a second charge', async () => {
    const h = defaultWindow;
    const { user, order, paymentId } = await payment(h, '19.00');
    const claim = await h.container.useCaseDeps.charges.claimForProcessing({ paymentId, staleAfterSeconds: 90, cardLast4: '4242' });
    await gateway.charge({
      paymentId,
      orderId: order.orderId,
      attemptNumber: claim!.attemptNumber,
      idempotencyKey: claim!.idempotencyKey,
      amount: claim!.payment.totalAmount,
      currency: 'USD',
      input: { cardNumber: CARDS.success },
      previousReference: null,
    });
    const later: Clock = { now: () => new Date(Date.now() + 60 * 60_000) };
    const result = await processPaymentOver({ ...h.container.useCaseDeps, clock: later }).execute(
      { id: user.id, role: 'buyer' },
      { paymentId, cardNumber: CARDS.success },
    );
    expect(result).toMatchObject({ outcome: 'succeeded', attemptNumber: 1, payment: { status: 'completed' } });
    expect(gateway.chargesOf(paymentId)).toHaveLength(1);
  });

  it('refuses a stale window that a gateway call can outlast', () => {
    const base = { DATABASE_URL: 'postgresql://x@127.0.0.1/x', JWT_SECRET: randomUUID() + randomUUID() };
    expect(() => loadConfig({ ...base, PAYMENT_STALE_PROCESSING_SECONDS: '60' })).toThrow(/PAYMENT_STALE_PROCESSING_SECONDS \(60\) must be longer/);
    expect(() => loadConfig({ ...base, PAYMENT_STALE_PROCESSING_SECONDS: '20', STRIPE_TIMEOUT_MS: '5000', STRIPE_MAX_NETWORK_RETRIES: '3' })).toThrow(
      /must be longer/,
    );
    expect(loadConfig({ ...base, PAYMENT_STALE_PROCESSING_SECONDS: '61' }).staleProcessingSeconds).toBe(61);
    expect(loadConfig({ ...base, STRIPE_TIMEOUT_MS: '10000', STRIPE_MAX_NETWORK_RETRIES: '1', PAYPAL_TIMEOUT_MS: '5000' })).toMatchObject({
      gatewayCallWorstCaseMs: 20_000,
      staleProcessingSeconds: 50,
    });
  });
  it("the sweep's page is read through the partial index of payments in processing, whatever the plan cache does", async () => {
    // Every round asks; without the index it read every payment ever made. A generic plan (what a
    // prepared statement settles on) knows no parameter values, so the status must be the
    // statement's literal for the partial index to serve it.
    const db = new Client(pgConfigFromUrl(schema.databaseUrl));
    await db.connect();
    try {
      await db.query('SET plan_cache_mode = force_generic_plan');
      await db.query('SET enable_seqscan = off');
      await db.query(`PREPARE stale_page(timestamptz, int) AS ${SELECT_STALE_PROCESSING}`);
      const { rows } = await db.query<{ 'QUERY PLAN': unknown }>('EXPLAIN (FORMAT JSON) EXECUTE stale_page(now(), 20)');
      const plan = JSON.stringify(rows[0]?.['QUERY PLAN']);
      expect(plan).toContain('"Index Name":"payments_processing_since"');
      expect(plan).not.toContain('"Node Type":"Seq Scan"');
    } finally {
      await db.end();
    }
  });
});
