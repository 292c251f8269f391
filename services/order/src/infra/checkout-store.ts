import { claimInbox, INBOX_CLAIM_SQL, outboxRow, sqlOverPrisma, type Sql, type SqlTx, type SqlTxCommitting } from '@sudamall/shared';
import {
  repliesOneByOne,
  type AdjustmentTx,
  type AdjustmentUnitOfWork,
  type CheckoutTx,
  type Clock,
  type DecisionWrite,
  type LockedSaga,
  type RepliesTx,
  type ReplyTx,
  type UnitOfWork,
} from '../app/ports';
import { adjustmentTx, DUE_ADJUSTMENT } from './adjustment-store';
import { fulfillmentsFollowOrder, transitionFulfillment } from '../domain/fulfillment';
import { transition, type OrderStatus } from '../domain/order-status';
import { isUuid } from '../domain/errors';
import type { Prisma } from '../generated/prisma/client';
import type { CheckoutContext, SagaCommand, SagaSnapshot, SagaState } from '../saga/saga-types';
import type { Db } from './prisma';

type Tx = Prisma.TransactionClient;

export function sagaFromRow(row: {
  state: string;
  currentStep: string;
  attempts: number;
  awaiting: unknown;
  context: unknown;
  stepStartedAt: Date;
  deadlineAt: Date | null;
  nextRetryAt: Date | null;
  stuck: boolean;
  lastError: string | null;
}): SagaSnapshot {
  return {
    state: row.state as SagaState,
    currentStep: row.currentStep,
    attempts: row.attempts,
    awaiting: row.awaiting as SagaCommand[],
    context: row.context as CheckoutContext,
    stepStartedAt: row.stepStartedAt,
    deadlineAt: row.deadlineAt,
    nextRetryAt: row.nextRetryAt,
    stuck: row.stuck,
    lastError: row.lastError,
  };
}

export function sagaToRow(s: SagaSnapshot) {
  return {
    state: s.state,
    currentStep: s.currentStep,
    attempts: s.attempts,
    awaiting: s.awaiting as unknown as Prisma.InputJsonValue,
    context: s.context as unknown as Prisma.InputJsonValue,
    stepStartedAt: s.stepStartedAt,
    deadlineAt: s.deadlineAt,
    nextRetryAt: s.nextRetryAt,
    stuck: s.stuck,
    lastError: s.lastError,
  };
}

/**
 * The CheckoutTx port over one Prisma interactive transaction. Every status it writes is what the
 * transition tables' transition() returns (they throw on a move they do not list), and the times
 * it stamps are the service's one clock's.
 */
export function checkoutTx(tx: Tx, clock: Clock): CheckoutTx {
  const sql = sqlOverPrisma(tx);
  return {
    claimInbox: (consumer, eventId) => claimInbox(tx, consumer, eventId),
    async lockSaga(orderId) {
      if (!isUuid(orderId)) return null;
      // Every writer locks the order row first (then touches the saga), so no two paths deadlock.
      // One statement: the lock, the order head and its saga (the saga's hot path runs it for
      // every reply of every checkout). Both rows are locked: a statement that waited for the
      // lock re-reads only the rows it locks at their latest version (READ COMMITTED), and the
      // saga must be the one the previous holder just wrote, not the one before it.
      const rows = await sql.query<LockedRow>(LOCK_SAGA, [orderId]);
      return lockedFromRow(rows[0]);
    },
    claimAndLockSaga: (consumer, eventId, orderId) => claimAndLockSaga(sql, consumer, eventId, orderId),
    async changeOrderStatus(orderId, from, change, by, notes) {
      const updated = await tx.order.updateMany({
        where: { id: orderId, status: from },
        data: {
          status: transition(from, change.to, by.role, change.reason),
          ...(change.to === 'cancelled' ? { cancelReason: change.reason ?? 'cancelled' } : {}),
          ...(change.shortLines ? { shortLines: change.shortLines as unknown as Prisma.InputJsonValue } : {}),
          ...(change.paymentExpiresAt ? { paymentExpiresAt: change.paymentExpiresAt } : {}),
        },
      });
      // The row is locked, so this only happens on a programming error; refuse rather than fork history.
      if (updated.count !== 1) throw new Error(`order ${orderId} is no longer ${from}`);
      await tx.orderStatusHistory.create({
        data: { orderId, fromStatus: from, toStatus: change.to, changedBy: by.id, actorRole: by.role, reason: change.reason ?? null, notes: notes ?? null },
      });
    },
    async fulfillmentsOf(orderId) {
      const rows = await tx.fulfillment.findMany({ where: { orderId }, select: { storeId: true, status: true }, orderBy: { storeId: 'asc' } });
      return rows.map((r) => ({ storeId: r.storeId, status: r.status }));
    },
    async moveFulfillments(orderId, moves, by, notes) {
      const now = clock.now();
      for (const m of moves) {
        const updated = await tx.fulfillment.updateMany({
          where: { orderId, storeId: m.storeId, status: m.from },
          data: {
            status: transitionFulfillment(m.storeId, m.from, m.to, by.role),
            ...(m.to === 'shipped' ? { shippedAt: now } : {}),
            ...(m.to === 'delivered' ? { deliveredAt: now } : {}),
            ...(m.to === 'cancelled' ? { cancelledAt: now, cancelReason: m.reason ?? 'cancelled' } : {}),
            ...(m.trackingNumber !== undefined ? { trackingNumber: m.trackingNumber } : {}),
          },
        });
        // The order row is locked, so this only happens on a programming error.
        if (updated.count !== 1) throw new Error(`order ${orderId}: store ${m.storeId}'s fulfilment is no longer ${m.from}`);
      }
      // The order changed too, for whoever syncs by updated_at (its own status may not move).
      await tx.order.update({ where: { id: orderId }, data: { updatedAt: now } });
      await tx.fulfillmentStatusHistory.createMany({
        data: moves.map((m) => ({
          orderId,
          storeId: m.storeId,
          fromStatus: m.from,
          toStatus: m.to,
          changedBy: by.id,
          actorRole: by.role,
          reason: m.reason ?? null,
          notes: notes ?? null,
        })),
      });
    },
    async saveSaga(orderId, saga) {
      await tx.sagaInstance.update({ where: { orderId }, data: sagaToRow(saga) });
    },
    async appendStepLog(orderId, entries) {
      await tx.sagaStepLog.createMany({
        data: entries.map((e) => ({ orderId, step: e.step, kind: e.kind, type: e.type, payload: e.payload ?? {} })),
      });
    },
    async enqueue(topic, envelope) {
      const row = outboxRow(topic, envelope);
      await tx.outboxMessage.create({ data: { ...row, payload: row.payload } });
    },
    applyDecision: (write) => applyDecision(sql.query.bind(sql), write, clock),
  };
}

/**
 * APPLY_DECISION with a decision's values. `run` runs it: inside a transaction, or as its last
 * statement with the COMMIT (the statement refuses a stale write itself: order_assert).
 */
async function applyDecision(
  run: (text: string, values: readonly unknown[]) => Promise<Array<{ saga_rows: number; status_rows: number }>>,
  write: DecisionWrite,
  clock: Clock,
): Promise<void> {
  const { saga, status } = write;
  const change = status?.change;
  const to = status && change ? transition(status.from, change.to, status.by.role, change.reason) : null;
  // An unpaid order's fulfilments move with it, from the statuses their table lets the system move.
  const parts = to ? fulfillmentsFollowOrder(to) : null;
  const [result] = await run(APPLY_DECISION, [
    write.orderId,
    saga.state,
    saga.currentStep,
    saga.attempts,
    JSON.stringify(saga.awaiting),
    JSON.stringify(saga.context),
    saga.stepStartedAt,
    saga.deadlineAt,
    saga.nextRetryAt,
    saga.stuck,
    saga.lastError,
    JSON.stringify(write.log.map((e) => ({ step: e.step, kind: e.kind, type: e.type, payload: e.payload ?? {} }))),
    JSON.stringify(write.outbox.map((m) => ({ event_id: m.envelope.id, topic: m.topic, key: m.envelope.key, type: m.envelope.type, payload: m.envelope }))),
    status ? status.from : null,
    to,
    change?.to === 'cancelled' ? (change.reason ?? 'cancelled') : null,
    change?.shortLines ? JSON.stringify(change.shortLines) : null,
    change?.paymentExpiresAt ?? null,
    status ? status.by.id : null,
    status ? status.by.role : null,
    change?.reason ?? null,
    status?.notes ?? null,
    parts?.to ?? null,
    parts?.from ?? [],
    clock.now(),
  ]);
  if (!result || Number(result.saga_rows) !== 1) throw new Error(`order ${write.orderId} has no saga to update`);
  // The row is locked, so this only happens on a programming error; refuse rather than fork history.
  if (status && Number(result.status_rows) !== 1) throw new Error(`order ${write.orderId} is no longer ${status.from}`);
}

/** CheckoutTx.claimAndLockSaga on any runner in a transaction. */
async function claimAndLockSaga(sql: SqlTx, consumer: string, eventId: string, orderId: string): Promise<'duplicate' | LockedSaga | null> {
  if (!isUuid(orderId)) return (await claimInbox(sql, consumer, eventId)) ? null : 'duplicate';
  const [row] = await sql.query<{ claimed: number } & Partial<LockedRow>>(CLAIM_AND_LOCK_SAGA, [consumer, eventId, orderId]);
  if (!row || Number(row.claimed) !== 1) return 'duplicate';
  return row.order_id === undefined || row.order_id === null ? null : lockedFromRow(row as LockedRow);
}

/** RepliesTx.claimAndLockSagas in one statement (the replies' order ids are UUIDs: HandleSagaReply batches no other). */
async function claimAndLockSagas(
  sql: SqlTx,
  consumer: string,
  replies: ReadonlyArray<{ eventId: string; orderId: string }>,
): Promise<Array<'duplicate' | LockedSaga | null>> {
  const rows = await sql.query<{ claimed: boolean } & Partial<LockedRow>>(CLAIM_AND_LOCK_SAGAS, [
    consumer,
    replies.map((r) => r.eventId),
    replies.map((r) => r.orderId),
  ]);
  if (rows.length !== replies.length) throw new Error(`claimed ${rows.length} rows for ${replies.length} replies`);
  return rows.map((row) => (!row.claimed ? 'duplicate' : row.order_id === undefined || row.order_id === null ? null : lockedFromRow(row as LockedRow)));
}

/**
 * RepliesTx.applyDecisions on a createSql transaction: every decision's statement is handed over
 * at once (pipelined, they leave without waiting for each other) and the last goes with the
 * COMMIT. A statement that fails (order_assert) aborts the transaction: those after it fail too
 * and the COMMIT becomes a rollback, so nothing of the batch commits.
 */
async function applyDecisions(tx: SqlTxCommitting, writes: readonly DecisionWrite[], clock: Clock): Promise<void> {
  const pending = writes.map((write, n) =>
    applyDecision((text, values) => (n === writes.length - 1 ? tx.queryAndCommit(text, values) : tx.query(text, values)), write, clock),
  );
  await Promise.all(pending);
}

/** The order head and saga lockSaga and claimAndLockSaga answer; null when there was no row. */
function lockedFromRow(row: LockedRow | undefined): LockedSaga | null {
  if (!row) return null;
  return {
    order: {
      id: row.order_id,
      userId: row.user_id,
      status: row.status as OrderStatus,
      storeIds: row.store_ids ?? [],
      paymentExpiresAt: row.payment_expires_at,
    },
    saga: sagaFromRow({
      state: row.state,
      currentStep: row.current_step,
      attempts: row.attempts,
      awaiting: row.awaiting,
      context: row.context,
      stepStartedAt: row.step_started_at,
      deadlineAt: row.deadline_at,
      nextRetryAt: row.next_retry_at,
      stuck: row.stuck,
      lastError: row.last_error,
    }),
  };
}

interface LockedRow {
  order_id: string;
  user_id: string;
  status: string;
  store_ids: string[] | null;
  payment_expires_at: Date | null;
  state: string;
  current_step: string;
  attempts: number;
  awaiting: unknown;
  context: unknown;
  step_started_at: Date;
  deadline_at: Date | null;
  next_retry_at: Date | null;
  stuck: boolean;
  last_error: string | null;
}

// The order head and saga columns every lock statement answers (LockedRow, lockedFromRow).
const LOCKED_COLUMNS = `o.order_id::text AS order_id, o.user_id, o.status::text AS status, o.store_ids, o.payment_expires_at,
       s.state, s.current_step, s.attempts, s.awaiting, s.context, s.step_started_at, s.deadline_at,
       s.next_retry_at, s.stuck, s.last_error`;

// A row lock of two tables in one statement (FOR UPDATE OF o, s), which Prisma cannot express.
const LOCK_SAGA = `
  SELECT ${LOCKED_COLUMNS}
    FROM orders o JOIN saga_instances s ON s.order_id = o.order_id
   WHERE o.order_id = $1::uuid
     FOR UPDATE OF o, s`;

// A saga reply's inbox claim and its lock in ONE statement (one round trip fewer for every reply of
// every checkout, issue 15; Prisma can express neither). The lock is taken only when the claim
// inserted the row (EXISTS over the claim's RETURNING gates the scan), so a redelivery locks
// nothing, as claimInbox-then-lockSaga did; FOR UPDATE OF o, s as in LOCK_SAGA. `claimed` says
// which of "redelivery" (0) and "unknown order" (1, no order columns) an empty lock is.
const CLAIM_AND_LOCK_SAGA = `
  WITH claimed AS (
    ${INBOX_CLAIM_SQL}
    RETURNING 1
  ), locked AS (
    SELECT ${LOCKED_COLUMNS}
      FROM orders o JOIN saga_instances s ON s.order_id = o.order_id
     WHERE o.order_id = $3::uuid AND EXISTS (SELECT 1 FROM claimed)
       FOR UPDATE OF o, s
  )
  SELECT (SELECT count(*) FROM claimed)::int AS claimed, locked.* FROM (SELECT 1) AS one LEFT JOIN locked ON true`;

// Several replies' inbox claims and locks in ONE statement (a batch, RepliesTx): $2 the event
// ids, $3 their order ids (each order once). As CLAIM_AND_LOCK_SAGA, only the orders of claimed
// replies are locked (a redelivery locks nothing), both rows (FOR UPDATE OF o, s). The rows are
// locked in order_id order (LockRows runs above the sort), so two batches that share orders wait
// for each other instead of deadlocking; every other writer locks one order. One row per reply,
// in $2's order: `claimed` false for a redelivery, no order columns for an unknown order.
const CLAIM_AND_LOCK_SAGAS = `
  WITH replies AS (
    SELECT r.event_id, r.order_id, r.n
      FROM unnest($2::uuid[], $3::uuid[]) WITH ORDINALITY AS r(event_id, order_id, n)
  ), claimed AS (
    INSERT INTO inbox (consumer, event_id)
    SELECT $1, event_id FROM replies ORDER BY n
    ON CONFLICT (consumer, event_id) DO NOTHING
    RETURNING event_id
  ), locked AS (
    SELECT ${LOCKED_COLUMNS}
      FROM orders o JOIN saga_instances s ON s.order_id = o.order_id
     WHERE o.order_id IN (SELECT r.order_id FROM replies r JOIN claimed c ON c.event_id = r.event_id)
     ORDER BY o.order_id
       FOR UPDATE OF o, s
  )
  SELECT c.event_id IS NOT NULL AS claimed, l.*
    FROM replies r
    LEFT JOIN claimed c ON c.event_id = r.event_id
    LEFT JOIN locked l ON c.event_id IS NOT NULL AND l.order_id = r.order_id::text
   ORDER BY r.n`;

// One saga decision in one statement, a multi-write CTE (which Prisma cannot express): the saga's
// hot path, 11 → 5 round trips per reply (bench/README.md, "What limits each"). Data-modifying CTEs all run, whether or not the final
// SELECT reads them; the status change (with its history row) applies only when $15 is set and
// the order is still in $14 (the row is locked by lockSaga, so a miss is a programming error,
// reported through status_rows and refused by order_assert, which fails the statement: a saga
// reply sends it with its COMMIT, so nothing after it could still roll back). Outbox rows keep the decision's order (ORDER BY ordinality),
// which is the order the relay publishes them in.
const APPLY_DECISION = `
  WITH saga AS (
    UPDATE saga_instances
       SET state = $2, current_step = $3, attempts = $4, awaiting = $5::jsonb, context = $6::jsonb,
           step_started_at = $7::timestamptz, deadline_at = $8::timestamptz, next_retry_at = $9::timestamptz,
           stuck = $10, last_error = $11, updated_at = now()
     WHERE order_id = $1::uuid
    RETURNING 1
  ), step_log AS (
    INSERT INTO saga_step_log (order_id, step, kind, type, payload)
    SELECT $1::uuid, e.step, e.kind, e.type, e.payload
      FROM ROWS FROM (jsonb_to_recordset($12::jsonb) AS (step text, kind text, type text, payload jsonb)) WITH ORDINALITY AS e(step, kind, type, payload, n)
     ORDER BY e.n
    RETURNING 1
  ), outbox_rows AS (
    INSERT INTO outbox (event_id, topic, key, type, payload)
    SELECT m.event_id::uuid, m.topic, m.key, m.type, m.payload
      FROM ROWS FROM (jsonb_to_recordset($13::jsonb) AS (event_id text, topic text, key text, type text, payload jsonb)) WITH ORDINALITY AS m(event_id, topic, key, type, payload, n)
     ORDER BY m.n
    RETURNING 1
  ), changed AS (
    UPDATE orders
       SET status = $15::text::order_status,
           cancel_reason = COALESCE($16, cancel_reason),
           short_lines = COALESCE($17::jsonb, short_lines),
           payment_expires_at = COALESCE($18::timestamptz, payment_expires_at),
           updated_at = now()
     WHERE order_id = $1::uuid AND $15::text IS NOT NULL AND status = $14::text::order_status
    RETURNING order_id
  ), history AS (
    INSERT INTO order_status_history (order_id, from_status, to_status, changed_by, actor_role, reason, notes)
    SELECT order_id, $14::text::order_status, $15::text::order_status, $19, $20, $21, $22 FROM changed
    RETURNING 1
  ), fulfillments AS (
    -- The saga moves an unpaid order's fulfilments with it (domain/fulfillment.ts fulfillmentsFollowOrder):
    -- to $23 from the statuses in $24 (paid → processing, cancelled → cancelled, each from pending).
    -- \`old\` is read from the statement's snapshot, so it holds each row's status before the update.
    UPDATE order_fulfillments f
       SET status = $23::text::fulfillment_status,
           cancelled_at = CASE WHEN $23::text = 'cancelled' THEN $25::timestamptz ELSE f.cancelled_at END,
           cancel_reason = CASE WHEN $23::text = 'cancelled' THEN $16 ELSE f.cancel_reason END,
           updated_at = now()
      FROM changed, order_fulfillments old
     WHERE f.order_id = changed.order_id AND old.order_id = f.order_id AND old.store_id = f.store_id
       AND $23::text IS NOT NULL AND f.status::text = ANY($24::text[])
    RETURNING f.order_id, f.store_id, old.status AS from_status, f.status
  ), fulfillment_history AS (
    INSERT INTO fulfillment_status_history (order_id, store_id, from_status, to_status, changed_by, actor_role, reason)
    SELECT order_id, store_id, from_status, status, $19, $20, $21 FROM fulfillments
    RETURNING 1
  )
  SELECT order_assert((SELECT count(*) FROM saga) = 1, 'order ' || $1::text || ' has no saga to update')
     AND order_assert($14::text IS NULL OR (SELECT count(*) FROM changed) = 1, 'order ' || $1::text || ' is no longer ' || $14::text) AS ok,
         (SELECT count(*) FROM saga)::int AS saga_rows, (SELECT count(*) FROM changed)::int AS status_rows`;

export class PrismaUnitOfWork implements UnitOfWork, AdjustmentUnitOfWork {
  /**
   * @param replies the hot path's pool (pipelined node-postgres, createHotPathSql): without it
   *   the saga replies run in Prisma transactions like everything else.
   */
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly replies?: Sql,
  ) {}

  /**
   * A saga reply: BEGIN goes out with the claim-and-lock statement and COMMIT with the decision's
   * statement, 4 -> 2 round trips (issue 15), and no Prisma transaction machinery on the path
   * every reply of every checkout takes. The same statements and row locks as run() uses.
   */
  runReply<T>(fn: (tx: ReplyTx) => Promise<T>): Promise<T> {
    const replies = this.replies;
    if (!replies) return this.run(fn);
    return replies.transaction((tx) =>
      fn({
        claimAndLockSaga: (consumer, eventId, orderId) => claimAndLockSaga(tx, consumer, eventId, orderId),
        applyDecision: (write) => applyDecision((text, values) => tx.queryAndCommit(text, values), write, this.clock),
      }),
    );
  }

  /**
   * Several saga replies in one transaction (a batch the bus fetched together, each order once):
   * one statement claims and locks them all, the decisions' statements follow, the last with the
   * COMMIT. Under load that is 2 round trips and one commit for a batch instead of 2 and 1 for
   * every reply. Without the hot path's pool, the replies' statements one by one in one Prisma
   * transaction.
   */
  runReplies<T>(fn: (tx: RepliesTx) => Promise<T>): Promise<T> {
    const replies = this.replies;
    if (!replies) return this.run((tx) => fn(repliesOneByOne(tx)));
    return replies.transaction((tx) =>
      fn({
        claimAndLockSagas: (consumer, batch) => claimAndLockSagas(tx, consumer, batch),
        applyDecisions: (writes) => applyDecisions(tx, writes, this.clock),
      }),
    );
  }

  run<T>(fn: (tx: CheckoutTx) => Promise<T>): Promise<T> {
    return this.db.$transaction((tx) => fn(checkoutTx(tx, this.clock)), { timeout: 15000, maxWait: 10000 });
  }

  runAdjustment<T>(fn: (tx: AdjustmentTx) => Promise<T>): Promise<T> {
    return this.db.$transaction((tx) => fn({ ...checkoutTx(tx, this.clock), ...adjustmentTx(tx, this.clock) }), { timeout: 15000, maxWait: 10000 });
  }

  runDueAdjustment<T>(now: Date, fn: (tx: AdjustmentTx, due: { orderId: string; adjustmentId: string }) => Promise<T>): Promise<T | null> {
    return this.db.$transaction(
      async (tx) => {
        // The order row is what every writer locks first, so it is the one claimed (and skipped
        // when another instance or a reply holds it).
        const rows = await sqlOverPrisma(tx).query<{ order_id: string; adjustment_id: string }>(DUE_ADJUSTMENT, [now]);
        const row = rows[0];
        if (!row) return null;
        return fn({ ...checkoutTx(tx, this.clock), ...adjustmentTx(tx, this.clock) }, { orderId: row.order_id, adjustmentId: row.adjustment_id });
      },
      { timeout: 15000, maxWait: 10000 },
    );
  }

  /** Same, with the raw Prisma transaction too (for claims that are SQL, not port calls). */
  runRaw<T>(fn: (tx: Tx, port: CheckoutTx) => Promise<T>): Promise<T> {
    return this.db.$transaction((tx) => fn(tx, checkoutTx(tx, this.clock)), { timeout: 15000, maxWait: 10000 });
  }
}
