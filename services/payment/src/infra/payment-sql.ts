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

export const SELECT_PAYMENT_BY_ID = `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE payment_id = $1::uuid`;

export const SELECT_LIVE_PAYMENT_OF_ORDER = `SELECT ${PAYMENT_COLUMNS} FROM payments
        WHERE order_reference = $1 AND status IN ('pending', 'processing', 'completed') LIMIT 1`;

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
