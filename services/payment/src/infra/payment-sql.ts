// The payment service's raw SQL (docs/architecture.md, "Data access"): only what Prisma's models
// cannot express or what a benchmark showed to be a hot path, run through the shared runner
// (sqlOverPrisma). Everything else in the stores is Prisma.

// The reads every checkout makes (the live payment of an order, a payment by id, twice) as plain
// SQL: no query compilation per call (measured: payment CPU per checkout ~25 → 23 ms, commit
// 272aa8e). Columns aliased to the Prisma field names, money as text.
const PAYMENT_COLUMNS = `payment_id::text AS "paymentId", order_reference AS "orderReference", user_id AS "userId",
  gateway AS "gatewayName", payment_method AS "paymentMethod", currency, amount::text AS amount,
  gateway_fee::text AS "gatewayFee", total_amount::text AS "totalAmount", refunded_amount::text AS "refundedAmount",
  status::text AS status, attempt_count AS "attemptCount", gateway_transaction_id AS "gatewayTransactionId",
  gateway_reference AS "gatewayReference", failure_reason AS "failureReason", metadata, expires_at AS "expiresAt",
  processing_started_at AS "processingStartedAt", completed_at AS "completedAt", cancelled_at AS "cancelledAt",
  created_at AS "createdAt", updated_at AS "updatedAt"`;

/**
 * The recovery sweep's page of payments left in `processing` past the stale window, oldest
 * first, each with its latest attempt's gateway response (the payment method it was sent with).
 * The status is written into the statement, not bound: only then can the planner use the partial
 * index `payments_processing_since` (migration 20261207223000), whose entries are just the
 * payments in `processing`. Through Prisma's bound status the sweep scanned every payment ever
 * made: 56 → 104 ms a call over a 10-minute soak, growing with the table.
 */
export const SELECT_STALE_PROCESSING = `SELECT ${PAYMENT_COLUMNS},
  (SELECT a.gateway_response FROM payment_attempts a WHERE a.payment_id = payments.payment_id
    ORDER BY a.attempt_number DESC LIMIT 1) AS "lastGatewayResponse"
  FROM payments WHERE status = 'processing' AND processing_started_at < $1
  ORDER BY processing_started_at LIMIT $2`;

export const SELECT_PAYMENT_BY_ID = `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE payment_id = $1::uuid`;

export const SELECT_LIVE_PAYMENT_OF_ORDER = `SELECT ${PAYMENT_COLUMNS} FROM payments
        WHERE order_reference = $1 AND status IN ('pending', 'processing', 'completed') LIMIT 1`;

/**
 * Create's one read before it asks the order: the gateway's settings (fees, is_active) and the
 * order's live payment, if any. Read on every create, never cached, so an admin's change of a
 * gateway takes effect on the next payment, in every replica; folded into the live-payment read
 * the path already made, it costs no round trip of its own (3 → 2 statements per create with
 * INSERT_PAYMENT). No row: no such gateway. Gateway columns are g_-prefixed, the payment's are
 * PAYMENT_COLUMNS (all null without a live payment).
 */
export const SELECT_GATEWAY_AND_LIVE_PAYMENT = `SELECT g.name AS g_name, g.display_name AS g_display_name, g.type::text AS g_type,
  g.is_active AS g_is_active, g.test_mode AS g_test_mode, g.fixed_fee::text AS g_fixed_fee, g.percentage_fee::text AS g_percentage_fee, live.*
  FROM gateways g LEFT JOIN LATERAL (SELECT ${PAYMENT_COLUMNS} FROM payments
    WHERE order_reference = $2 AND status IN ('pending', 'processing', 'completed') LIMIT 1) live ON true
  WHERE g.name = $1`;

/**
 * A new payment (hot path: Prisma's create compiled a query for each of the checkout's creates).
 * created_at/updated_at are the store's clock, as Prisma's @default(now())/@updatedAt wrote them.
 */
export const INSERT_PAYMENT = `INSERT INTO payments (payment_id, order_reference, user_id, gateway, payment_method, currency,
  amount, gateway_fee, total_amount, expires_at, metadata, created_at, updated_at)
  VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::numeric, $8::numeric, $9::numeric, $10::timestamptz, $11::jsonb, $12::timestamptz, $12::timestamptz)
  RETURNING ${PAYMENT_COLUMNS}`;

// The charge path (process: claim an attempt, record the gateway's answer) as raw SQL over
// node-postgres (infra/sql.ts), a measured hot path: each of the two transactions was BEGIN, the
// lock, a Prisma read, two or three Prisma writes, COMMIT (13 statements, ~26 % of payment's CPU in
// Prisma's query compiler and client); now the claim is CLAIM_IF_UNCHANGED (one statement) and
// the answer BEGIN, LOCK_AND_READ_PAYMENT, one write, COMMIT (5 in all, measured with a statement
// log of payment_test while payments-api's success-card test ran). On the pipelined pool BEGIN
// leaves with the lock and COMMIT with the write: the answer is two round trips, not three (issue
// 15; the write refuses by itself what must not commit, payment_assert). The store decides under the
// lock (domain/ rules, every status through its transition table) and then writes the payment's
// whole mutable row as decided, with its attempt and its events.

/** The row lock and the read it was always followed by, as one statement. */
export const LOCK_AND_READ_PAYMENT = `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE payment_id = $1::uuid FOR UPDATE`;

// $1 payment_id, $2 status, $3 attempt_count, $4 gateway_transaction_id, $5 gateway_reference,
// $6 failure_reason, $7 metadata, $8 processing_started_at, $9 completed_at, $10 cancelled_at,
// $11 updated_at: the payment's mutable columns as decided under its lock (refunded_amount is refunds').
const writePaymentCte = (guard = '') => `written AS (UPDATE payments SET status = $2::"PaymentStatus", attempt_count = $3,
  gateway_transaction_id = $4, gateway_reference = $5, failure_reason = $6, metadata = $7::jsonb,
  processing_started_at = $8::timestamptz, completed_at = $9::timestamptz, cancelled_at = $10::timestamptz, updated_at = $11::timestamptz
  WHERE payment_id = $1::uuid${guard} RETURNING ${PAYMENT_COLUMNS})`;

// A new attempt of the payment `written` claimed: $12 its id, $13 its idempotency key, $14 card_last4, $15 gateway_response.
const NEW_ATTEMPT_CTE = `attempt AS (INSERT INTO payment_attempts (id, payment_id, attempt_number, status, idempotency_key, card_last4, gateway_response, created_at)
    SELECT $12::uuid, $1::uuid, $3, 'processing', $13, $14, $15::jsonb, $11::timestamptz FROM written)`;

/** A payment written as decided under its lock (no attempt, no event: a stale attempt taken over). */
export const WRITE_PAYMENT = `WITH ${writePaymentCte()} SELECT * FROM written`;

/** The claim of a new attempt under the row lock: the payment (→ processing) and its attempt row ($12-$15) in one statement. */
export const WRITE_PAYMENT_AND_NEW_ATTEMPT = `WITH ${writePaymentCte()}, ${NEW_ATTEMPT_CTE} SELECT * FROM written`;

/**
 * The answer to one attempt of payment $1, its parameters from $k: $k the attempt number, $k+1 its
 * new status (null: it stays as it is, still in flight), moved only from $k+2 (the transition
 * table's sources of that status); $k+3 failure_code, $k+4 failure_reason, $k+5 completed_at (null:
 * unchanged); $k+6 the gateway's answer, which replaces the stored response or, $k+7 true, is
 * merged into it (what a replay needs stays). `answered` holds the attempt it touched: none means
 * the attempt is missing or may not move to that status (refusedAttempt raises).
 */
const answerAttemptCte = (k: number) => `answered AS (UPDATE payment_attempts SET status = COALESCE($${k + 1}::"AttemptStatus", status),
  failure_code = COALESCE($${k + 3}, failure_code), failure_reason = COALESCE($${k + 4}, failure_reason),
  completed_at = COALESCE($${k + 5}::timestamptz, completed_at),
  gateway_response = CASE WHEN $${k + 7}::boolean THEN gateway_response || $${k + 6}::jsonb ELSE $${k + 6}::jsonb END
  WHERE payment_id = $1::uuid AND attempt_number = $${k}
    AND ($${k + 1}::"AttemptStatus" IS NULL OR status = ANY($${k + 2}::"AttemptStatus"[])) RETURNING 1)`;

/**
 * payment_assert's message when an answer (or a resume) touched no attempt, followed by the
 * attempt's status as the statement read it (nothing: no such attempt); the store turns it into
 * the transition table's 409 (refusedAttemptMove, charge-store.ts).
 */
export const ATTEMPT_MOVE_REFUSED = 'ATTEMPT_MOVE_REFUSED:';

/**
 * Fails the statement (payment_assert, P0001) when CTE `touched` updated no attempt $k of payment
 * $1. The answer and the resume are sent with their COMMIT (issue 15: one round trip, not two), so
 * the statement itself must refuse what must not commit: nothing after it could still roll back.
 * CASE: the attempt's status is read only when it is refused.
 */
const refusedAttempt = (touched: string, k: number) => `CASE WHEN EXISTS (SELECT 1 FROM ${touched}) THEN true
  ELSE payment_assert(false, '${ATTEMPT_MOVE_REFUSED}' || COALESCE((SELECT status::text FROM payment_attempts
    WHERE payment_id = $1::uuid AND attempt_number = $${k}), '')) END`;

/** Fails the statement when WRITE_PAYMENT's `written` found no payment (it is locked: a bug, as the code's check said before). */
const VANISHED = `payment_assert(EXISTS (SELECT 1 FROM written), 'payment ' || $1::text || ' vanished under its row lock')`;

/** An answer that changes the attempt only (a late answer, a capture of a payment already settled): $2-$9. */
export const ANSWER_ATTEMPT = `WITH ${answerAttemptCte(2)} SELECT ${refusedAttempt('answered', 2)} AS ok`;

/** The answer ($12-$19) with the payment's row as decided ($1-$11, as WRITE_PAYMENT): a decline, a wait for the payer. */
export const ANSWER_AND_WRITE_PAYMENT = `WITH ${writePaymentCte()}, ${answerAttemptCte(12)}
  SELECT ${VANISHED} AND ${refusedAttempt('answered', 12)} AS ok, written.* FROM (SELECT 1) AS one LEFT JOIN written ON true`;

/**
 * The same and the events the change announces ($20: a JSON array of envelopes, in order, to
 * topic $21) in the outbox: the checkout's usual answer (attempt succeeded, payment completed,
 * payment.succeeded) is this one statement.
 */
export const ANSWER_WRITE_PAYMENT_AND_EMIT = `WITH ${writePaymentCte()}, ${answerAttemptCte(12)},
  emitted AS (INSERT INTO outbox (event_id, topic, key, type, payload)
    SELECT (e.envelope->>'id')::uuid, $21, e.envelope->>'key', e.envelope->>'type', e.envelope
      FROM jsonb_array_elements($20::jsonb) WITH ORDINALITY AS e(envelope, n) ORDER BY e.n)
  SELECT ${VANISHED} AND ${refusedAttempt('answered', 12)} AS ok, written.* FROM (SELECT 1) AS one LEFT JOIN written ON true`;

/**
 * The claim of a new attempt without BEGIN, lock, read and COMMIT (4 → 1 statement), when the
 * payment is still exactly as the caller read it: $16-$24 are the columns WRITE_PAYMENT writes, as
 * read. The claim was decided on those values, so if they hold when this UPDATE has the row (a
 * concurrent writer's change is re-checked once its lock is released), deciding under the lock
 * would have decided the same. No row: the payment changed, and the claim takes the locked path.
 */
export const CLAIM_IF_UNCHANGED = `WITH ${writePaymentCte(`
    AND status = $16::"PaymentStatus" AND attempt_count = $17 AND gateway_transaction_id IS NOT DISTINCT FROM $18
    AND gateway_reference IS NOT DISTINCT FROM $19 AND failure_reason IS NOT DISTINCT FROM $20 AND metadata = $21::jsonb
    AND processing_started_at IS NOT DISTINCT FROM $22::timestamptz AND completed_at IS NOT DISTINCT FROM $23::timestamptz
    AND cancelled_at IS NOT DISTINCT FROM $24::timestamptz`)}, ${NEW_ATTEMPT_CTE} SELECT * FROM written`;

/**
 * A stale attempt taken over: $3 (processing) from $5, with the card it is given now ($4, null: the
 * one it had). The locked claim's last statement, sent with its COMMIT: refuses (raises) as the answer does.
 */
export const RESUME_ATTEMPT = `WITH resumed AS (UPDATE payment_attempts SET status = $3::"AttemptStatus", card_last4 = COALESCE($4, card_last4)
  WHERE payment_id = $1::uuid AND attempt_number = $2 AND status = ANY($5::"AttemptStatus"[]) RETURNING 1)
  SELECT ${refusedAttempt('resumed', 2)} AS ok`;

/** Another live payment of the order (a late capture of a payment that is not the live one competes with it). */
export const SELECT_OTHER_LIVE_PAYMENT = `SELECT payment_id::text AS "paymentId" FROM payments
  WHERE order_reference = $1 AND payment_id <> $2::uuid AND status IN ('pending', 'processing', 'completed') LIMIT 1`;

/** A second capture, recorded once per gateway transaction (ON CONFLICT: a capture reported again is no new duplicate). */
export const INSERT_DUPLICATE_CAPTURE = `INSERT INTO duplicate_captures (id, payment_id, order_reference, gateway, transaction_id, amount, currency, source, live_payment_id, detected_at)
  VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6::numeric, $7, $8, $9::uuid, $10::timestamptz)
  ON CONFLICT (gateway, transaction_id) DO NOTHING RETURNING id`;

// Row locks (Prisma has no SELECT ... FOR UPDATE): every write to a payment takes its row lock
// first, so concurrent claims, answers, refunds and commands queue instead of interleaving.
export const LOCK_PAYMENT = 'SELECT payment_id FROM payments WHERE payment_id = $1::uuid FOR UPDATE';

/** An order's payments, locked in one order (payment_id) so two commands never deadlock. */
export const LOCK_ORDER_PAYMENTS = 'SELECT payment_id FROM payments WHERE order_reference = $1 ORDER BY payment_id FOR UPDATE';

/** A gateway's settings, locked: two admins changing one gateway queue, and the second's audit row chains from the first's. */
export const LOCK_GATEWAY_SETTINGS = 'SELECT fixed_fee::text, percentage_fee::text, is_active FROM gateways WHERE name = $1 FOR UPDATE';

/**
 * The duplicate-capture gauges' one read per scrape, through the runner the kernel gives every
 * service's metrics (a RawQuery), not a Prisma client.
 */
export const COUNT_DUPLICATE_CAPTURES = 'SELECT gateway, status::text AS status, count(*)::int AS n FROM duplicate_captures GROUP BY gateway, status';
