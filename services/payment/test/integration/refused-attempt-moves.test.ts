// An answer (or a resume) whose attempt the transition table may not move is refused by the
// statement itself (payment_assert): the statement is sent with its COMMIT (issue 15), so the
// refusal must roll back everything the transaction wrote (payment row, attempt, outbox, a
// duplicate capture) and answer the transition table's 409, as the check after it did before.
import { httpStatusOf, isDomainError, type DomainError } from '@sudamall/shared';
import { attemptTransitions, type AttemptStatus } from '../../src/domain/attempt-status';
import { buyer, FakeOrders, startHarness, type Harness } from '../support/harness';

describe('refused attempt moves roll the whole answer back', () => {
  let h: Harness;
  const orders = new FakeOrders();

  beforeAll(async () => {
    h = await startHarness({ orders });
  });
  afterAll(async () => h?.close());

  /** A payment of a new order, claimed: processing, with attempt 1 processing. */
  async function claimedPayment() {
    const user = buyer();
    const order = orders.add({ userId: user.id, totalAmount: '25.00' });
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: order.orderId, gateway: 'test_gateway' },
    });
    expect(created.statusCode).toBe(201);
    const paymentId = created.json().payment_id as string;
    const claim = await h.container.useCaseDeps.charges.claimForProcessing({ paymentId, staleAfterSeconds: 60, cardLast4: '4242' });
    expect(claim?.attemptNumber).toBe(1);
    return { paymentId, orderId: order.orderId };
  }

  /** An attempt's status set behind the store's back: what the transition table refuses to move. */
  async function setAttempt(paymentId: string, status: AttemptStatus) {
    await h.container.prisma.paymentAttempt.update({ where: { paymentId_attemptNumber: { paymentId, attemptNumber: 1 } }, data: { status } });
  }

  /**
   * Every row the answer could write, as stored, each as its columns. An outbox row's
   * published_at is left out: publishing is the relay's write, not the answer's.
   */
  async function rowsOf(paymentId: string, orderId: string) {
    const read = (sql: string, id: string) =>
      h.container.prisma.$queryRawUnsafe<Array<{ j: string }>>(sql, id).then((rows) => rows.map((r) => JSON.parse(r.j) as Record<string, unknown>));
    return {
      payment: await read('SELECT row_to_json(p)::text AS j FROM payments p WHERE payment_id = $1::uuid', paymentId),
      attempts: await read('SELECT row_to_json(a)::text AS j FROM payment_attempts a WHERE payment_id = $1::uuid ORDER BY attempt_number', paymentId),
      outbox: await read("SELECT (to_jsonb(o) - 'published_at')::text AS j FROM outbox o WHERE key = $1 ORDER BY event_id", orderId),
      duplicates: await read('SELECT row_to_json(d)::text AS j FROM duplicate_captures d WHERE payment_id = $1::uuid', paymentId),
    };
  }
  type Rows = Awaited<ReturnType<typeof rowsOf>>;

  /** What changed from `before` to `after`, a line per row or column ("attempts[0].status: ..."): none when the answer wrote nothing. */
  function changes(before: Rows, after: Rows): string[] {
    const found: string[] = [];
    for (const table of Object.keys(before) as Array<keyof Rows>) {
      const [was, now] = [before[table], after[table]];
      for (let i = 0; i < Math.max(was.length, now.length); i++) {
        if (!was[i] || !now[i]) {
          found.push(`${table}[${i}]: ${JSON.stringify(was[i] ?? null)} → ${JSON.stringify(now[i] ?? null)}`);
          continue;
        }
        for (const column of new Set([...Object.keys(was[i]), ...Object.keys(now[i])])) {
          const [a, b] = [JSON.stringify(was[i][column]), JSON.stringify(now[i][column])];
          if (a !== b) found.push(`${table}[${i}].${column}: ${a} → ${b}`);
        }
      }
    }
    return found;
  }

  async function refusal(run: Promise<unknown>): Promise<DomainError> {
    const err = await run.then(
      () => null,
      (e: unknown) => e,
    );
    if (!isDomainError(err)) throw new Error(`expected a DomainError, got ${String(err)}`);
    return err;
  }

  /** The transition table's own refusal of from → to: the error the check after the answer threw. */
  function tableRefusal(from: AttemptStatus, to: AttemptStatus): DomainError {
    try {
      attemptTransitions.transition(from, to);
    } catch (e) {
      if (isDomainError(e)) return e;
    }
    throw new Error(`${from} → ${to} is allowed`);
  }

  const asAnswered = (e: DomainError) => ({ kind: e.kind, code: e.code, message: e.message, details: e.details, http: httpStatusOf(e) });

  it('a decline for an attempt already captured: payment, attempt and outbox untouched, 409 INVALID_STATUS_TRANSITION', async () => {
    const { paymentId, orderId } = await claimedPayment();
    await setAttempt(paymentId, 'succeeded');
    const before = await rowsOf(paymentId, orderId);

    // The payment is processing on attempt 1: the decline would fail it and emit payment.failed,
    // all in the statement sent with the COMMIT (ANSWER_WRITE_PAYMENT_AND_EMIT).
    const err = await refusal(
      h.container.useCaseDeps.charges.recordChargeOutcome(paymentId, 1, { status: 'declined', code: 'card_declined', message: 'declined', raw: { n: 1 } }),
    );
    expect(asAnswered(err)).toEqual({
      kind: 'conflict',
      code: 'INVALID_STATUS_TRANSITION',
      message: 'a payment attempt cannot go from succeeded to failed',
      details: { from: 'succeeded', to: 'failed', allowed: ['succeeded'] },
      http: 409,
    });
    expect(asAnswered(err)).toEqual(asAnswered(tableRefusal('succeeded', 'failed')));
    expect(changes(before, await rowsOf(paymentId, orderId))).toEqual([]);
    expect(before.payment[0].status).toBe('processing');
  });

  it('a late decline that changes the attempt only (ANSWER_ATTEMPT) is refused the same way', async () => {
    const { paymentId, orderId } = await claimedPayment();
    await h.container.useCaseDeps.charges.recordChargeOutcome(paymentId, 1, { status: 'succeeded', transactionId: `txn-${paymentId}`, raw: {} });
    const before = await rowsOf(paymentId, orderId);
    expect([before.payment[0].status, before.outbox.length]).toEqual(['completed', 1]);

    const err = await refusal(
      h.container.useCaseDeps.charges.recordChargeOutcome(paymentId, 1, { status: 'declined', code: 'card_declined', message: 'late', raw: { late: true } }),
    );
    expect(asAnswered(err)).toEqual(asAnswered(tableRefusal('succeeded', 'failed')));
    expect(changes(before, await rowsOf(paymentId, orderId))).toEqual([]);
  });

  it('a second capture for an attempt that does not exist: the duplicate capture it recorded is rolled back too', async () => {
    const { paymentId, orderId } = await claimedPayment();
    await h.container.useCaseDeps.charges.recordChargeOutcome(paymentId, 1, { status: 'succeeded', transactionId: `txn-${paymentId}`, raw: {} });
    const before = await rowsOf(paymentId, orderId);

    // Another capture (a duplicate, flagged in the same transaction) answered for attempt 7.
    await expect(
      h.container.useCaseDeps.charges.recordChargeOutcome(paymentId, 7, { status: 'succeeded', transactionId: `other-${paymentId}`, raw: {} }),
    ).rejects.toThrow(`payment ${paymentId} has no attempt 7`);
    expect(changes(before, await rowsOf(paymentId, orderId))).toEqual([]);
    expect(before.duplicates).toEqual([]);
    // The same capture answered for the attempt that exists is recorded: the path above did flag it.
    await h.container.useCaseDeps.charges.recordChargeOutcome(paymentId, 1, { status: 'succeeded', transactionId: `other-${paymentId}`, raw: {} });
    expect((await rowsOf(paymentId, orderId)).duplicates).toHaveLength(1);
  });

  it('a stale attempt that may not resume (the claim under the lock): the payment is not rewritten, 409', async () => {
    const { paymentId, orderId } = await claimedPayment();
    await setAttempt(paymentId, 'succeeded');
    const before = await rowsOf(paymentId, orderId);

    const err = await refusal(
      h.container.useCaseDeps.charges.claimForProcessing({ paymentId, staleAfterSeconds: 60, cardLast4: '1111', now: new Date(Date.now() + 3_600_000) }),
    );
    expect(asAnswered(err)).toEqual({
      kind: 'conflict',
      code: 'INVALID_STATUS_TRANSITION',
      message: 'a payment attempt cannot go from succeeded to processing',
      details: { from: 'succeeded', to: 'processing', allowed: ['succeeded'] },
      http: 409,
    });
    expect(changes(before, await rowsOf(paymentId, orderId))).toEqual([]);
  });
});
