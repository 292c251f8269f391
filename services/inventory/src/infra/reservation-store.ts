// The hot path's SQL: reserve / confirm / release / restock, through node-postgres rather than Prisma.
//
// Why raw SQL here (Prisma owns the schema and the catalogue CRUD): the platform notes measured
// a Prisma interactive transaction at 0.36x the throughput of raw node-postgres on a hot row,
// and what matters most on a hot row is round trips per transaction. Every write below is ONE
// statement: data-modifying WITH clauses update the stock rows, insert the reservation rows,
// the outcome, the outbox rows and the inbox claim, so PostgreSQL applies them atomically as
// one implicit transaction in one round trip, and prepared once per connection (the shared SQL
// runner names every statement below).
//
// The stock guard is the conditional UPDATE itself (`... WHERE id = d.id AND available >= qty`):
// if a row has less stock than the lock holder saw (its Redis lock expired and someone else
// took stock), that row is not updated, `inventory_assert` fails the whole statement (nothing
// of it is applied) and the engine decides the batch again on fresh data. The CHECK
// constraints (available/reserved/sold >= 0) are the last line below that.
import { createSql, insertOutboxSql, Topics, type Envelope, type Sql, type SqlRunner, type StockRestockedEvent } from '@sudamall/shared';
import {
  NEW_RESERVATION_STATUS,
  RESERVATION_TRANSITIONS,
  statusesThatCan,
  type BatchPlan,
  type ProductStockIndex,
  type ReservationMove,
  type ReservationStatus,
  type ReserveOutcome,
  type StockLevel,
} from '../domain/reservation';
import type { RestockableLine, RestockPlan, RestockRequest } from '../domain/restock';

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A status list for a statement's WHERE clause, from the reservation status table (domain/
 * reservation.ts): the statements below move only the lines the table lets them move. The
 * statuses are the table's own words (checked), so they are written into the text, which stays
 * one constant per statement (prepared once per connection).
 */
function statusList(statuses: readonly ReservationStatus[]): string {
  if (statuses.length === 0 || statuses.some((s) => !/^[a-z_]+$/.test(s))) throw new Error(`bad status list ${statuses.join(',')}`);
  return `(${statuses.map((s) => `'${s}'::reservation_status`).join(', ')})`;
}
const sourcesOf = (move: ReservationMove) => statusList(statusesThatCan(move));
const targetOf = (move: ReservationMove) => `'${RESERVATION_TRANSITIONS[move].to}'::reservation_status`;

/** The batch must be decided again: its rows changed under it, or a duplicate committed first. */
export class StaleBatchError extends Error {
  constructor(reason: string) {
    super(`stale batch: ${reason}`);
    this.name = 'StaleBatchError';
  }
}

/** A Kafka consumer's record of processing one message, written with the effect. */
export interface InboxClaim {
  consumer: string;
  eventId: string;
}

export interface BatchState {
  stock: Map<string, StockLevel>;
  existing: Map<string, ReserveOutcome>;
  /** The claims asked about that are already in the inbox (inboxKey): redelivered messages. */
  seen: Set<string>;
}

/** A claim's identity in BatchState.seen. */
export const inboxKey = (c: InboxClaim) => `${c.consumer} ${c.eventId}`;

export type ConfirmStatus = 'confirmed' | 'already_confirmed' | 'already_released' | 'not_found';
export type ReleaseStatus = 'released' | 'already_released' | 'already_confirmed' | 'not_found';

export interface TransitionResult<S> {
  order_id: string;
  status: S;
  /** Lines changed by this call. */
  lines: number;
  /**
   * Set only for a Kafka message processed before (its inbox row was there): nothing changed and
   * nothing was announced, and the caller announces nothing either.
   */
  redelivered?: true;
}

// One `stock.changed` envelope per product touched by `upd` (a CTE returning the updated
// stock rows with their new values), built from the other rows of the product as this
// statement sees them. `changedEventsSelect` yields outbox rows (event_id, topic, key, type,
// payload); callers UNION it with their own events so the outbox gets ONE insert per
// statement (its NOTIFY trigger fires per statement). `topic` and `tp` are the positional
// parameters for the topic and the traceparent.
const STOCK_CHANGED_CTES = `
chg_rows AS (
  SELECT s.product_id, s.size,
         coalesce(u.available, s.available) AS a, coalesce(u.reserved, s.reserved) AS r, coalesce(u.sold, s.sold) AS so
  FROM stock s LEFT JOIN upd u ON u.id = s.id
  -- A removed size is not part of the product any more (a restock may still land on its row).
  WHERE s.product_id IN (SELECT product_id FROM upd) AND s.removed_at IS NULL
),
chg AS (
  SELECT c.product_id, gen_random_uuid() AS event_id,
         jsonb_build_object(
           'product_id', c.product_id, 'has_sizes', p.has_sizes,
           'available_quantity', sum(c.a), 'reserved_quantity', sum(c.r), 'sold_quantity', sum(c.so),
           'sizes', CASE WHEN p.has_sizes THEN jsonb_agg(jsonb_build_object(
               'size', c.size, 'available_quantity', c.a, 'reserved_quantity', c.r, 'sold_quantity', c.so) ORDER BY c.size)
             ELSE '[]'::jsonb END) AS data
  FROM chg_rows c JOIN products p ON p.id = c.product_id
  GROUP BY c.product_id, p.has_sizes
)`;

function changedEventsSelect(topic: string, tp: string): string {
  return `
  SELECT event_id, ${topic}::text, product_id::text, 'stock.changed'::text,
         jsonb_strip_nulls(jsonb_build_object(
           'id', event_id, 'type', 'stock.changed', 'version', 1,
           'occurred_at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'key', product_id::text, 'traceparent', ${tp}::text))
         || jsonb_build_object('data', data)
  FROM chg`;
}

const RESERVE_BATCH_SQL = `
WITH
d AS (SELECT * FROM unnest($1::uuid[], $2::int[]) AS d(id, qty)),
upd AS (
  UPDATE stock s SET available = s.available - d.qty, reserved = s.reserved + d.qty, updated_at = now()
  FROM d WHERE s.id = d.id AND s.available >= d.qty
  RETURNING s.id, s.product_id, s.available, s.reserved, s.sold
),
res AS (
  INSERT INTO reservations (id, order_id, line_id, stock_id, product_id, size, quantity, status, expires_at)
  SELECT r.id, r.order_id, r.line_id, r.stock_id, r.product_id, r.size, r.quantity, '${NEW_RESERVATION_STATUS}'::reservation_status, r.expires_at
  FROM unnest($3::uuid[], $4::text[], $5::text[], $6::uuid[], $7::uuid[], $8::text[], $9::int[], $10::timestamptz[])
       AS r(id, order_id, line_id, stock_id, product_id, size, quantity, expires_at)
  RETURNING 1
),
outc AS (
  INSERT INTO reserve_outcomes (order_id, status, code, result)
  SELECT * FROM unnest($11::text[], $12::text[], $13::text[], $14::jsonb[])
  RETURNING 1
),
inb AS (
  INSERT INTO inbox (consumer, event_id)
  SELECT * FROM unnest($20::text[], $21::uuid[])
  ON CONFLICT DO NOTHING
  RETURNING 1
),
${STOCK_CHANGED_CTES},
ev AS (
  INSERT INTO outbox (event_id, topic, key, type, payload)
  SELECT * FROM unnest($15::uuid[], $16::text[], $17::text[], $18::text[], $19::jsonb[])
  UNION ALL ${changedEventsSelect('$22', '$23')}
  RETURNING 1
)
SELECT inventory_assert((SELECT count(*) FROM upd) = cardinality($1::uuid[]), 'STOCK_GUARD') AS ok,
       (SELECT count(*) FROM res)::int AS reservations, (SELECT count(*) FROM ev)::int AS events`;

const READ_BATCH_SQL = `
SELECT
  (SELECT coalesce(jsonb_agg(jsonb_build_object(
            'id', s.id, 'productId', s.product_id, 'available', s.available, 'deleted', p.deleted_at IS NOT NULL,
            'removed', s.removed_at IS NOT NULL)), '[]'::jsonb)
     FROM stock s JOIN products p ON p.id = s.product_id
    WHERE s.id = ANY($1::uuid[])) AS stock,
  (SELECT coalesce(jsonb_agg(jsonb_build_object(
            'result', o.result,
            'statuses', (SELECT jsonb_object_agg(r.line_id, r.status) FROM reservations r WHERE r.order_id = o.order_id))), '[]'::jsonb)
     FROM reserve_outcomes o
    WHERE o.order_id = ANY($2::text[])) AS outcomes,
  -- The batch's Kafka commands already processed (a redelivery): the inbox row was written in
  -- the same statement as that command's outcome. Read here rather than by a SELECT of its own
  -- per command before queueing it: one round trip less per reserve command.
  -- Answered as the caller wrote the ids (an upper-case UUID is the same message).
  (SELECT coalesce(jsonb_agg(c.consumer || ' ' || c.event_id), '[]'::jsonb)
     FROM unnest($3::text[], $4::text[]) AS c(consumer, event_id)
    WHERE EXISTS (SELECT 1 FROM inbox i WHERE i.consumer = c.consumer AND i.event_id = c.event_id::uuid)) AS seen`;

const PRODUCT_INDEX_SQL = `
SELECT p.id, p.has_sizes, p.deleted_at IS NOT NULL AS deleted,
       coalesce(jsonb_object_agg(s.size, s.id) FILTER (WHERE s.id IS NOT NULL), '{}'::jsonb) AS stock
  FROM products p LEFT JOIN stock s ON s.product_id = p.id AND s.removed_at IS NULL
 WHERE p.id = ANY($1::uuid[])
 GROUP BY p.id`;

const RECORD_REJECTION_SQL = `
WITH
outc AS (
  INSERT INTO reserve_outcomes (order_id, status, code, result)
  VALUES ($1, 'rejected', $2, $3::jsonb)
  ON CONFLICT (order_id) DO NOTHING
  RETURNING 1
),
ev AS (
  INSERT INTO outbox (event_id, topic, key, type, payload)
  SELECT $4::uuid, $5, $6, $7, $8::jsonb WHERE EXISTS (SELECT 1 FROM outc)
  RETURNING 1
),
inb AS (
  INSERT INTO inbox (consumer, event_id) SELECT $9, $10::uuid WHERE $9::text IS NOT NULL
  ON CONFLICT DO NOTHING
  RETURNING 1
)
SELECT (SELECT count(*) FROM outc)::int AS inserted, (SELECT count(*) FROM inb)::int AS claimed`;

// Kafka commands are deduplicated by the statements themselves: each one writes the message's
// inbox row (`inb`, positional $7/$8, ON CONFLICT DO NOTHING) with its effect, so the consumer
// needs no SELECT of the inbox first (one round trip less per command). A redelivered message
// finds its row there: `inb` returns nothing, the effect is a no-op already (the status table
// moves a line once), and the repeat is not announced again (only a command re-sent on purpose,
// a new message, is). A call without a message ($7 NULL: gRPC, the sweeper) is never redelivered.
const NOT_REDELIVERED = '($7::text IS NULL OR EXISTS (SELECT 1 FROM inb))';

// Confirm, release and expiry move an order's reserved quantities; they need no Redis lock: they
// never take from `available` (release only gives back), the row locks of the UPDATEs
// serialize them with reservations, and the move's from-statuses in the WHERE clause (only
// 'reserved', by the status table) make a second call (or a concurrent one, re-checked by
// PostgreSQL after the first commits) a no-op.
function transitionSql(move: 'confirm' | 'release' | 'expire'): string {
  const setStock =
    move === 'confirm' ? 'reserved = s.reserved - d.qty, sold = s.sold + d.qty' : 'available = s.available + d.qty, reserved = s.reserved - d.qty';
  // Statuses that mean "already done" (a repeat that may be announced again).
  const repeatStatuses = move === 'confirm' ? "('confirmed')" : "('released', 'expired')";
  // The sweeper's expiry touches only lines past their expires_at.
  const expiredOnly = move === 'expire' ? ' AND expires_at <= now()' : '';
  return `
WITH
r AS (
  UPDATE reservations SET status = ${targetOf(move)}, updated_at = now()
  WHERE order_id = $1 AND status IN ${sourcesOf(move)}${expiredOnly}
  RETURNING stock_id, quantity
),
d AS (SELECT stock_id AS id, sum(quantity)::int AS qty FROM r GROUP BY stock_id),
upd AS (
  UPDATE stock s SET ${setStock}, updated_at = now()
  FROM d WHERE s.id = d.id
  RETURNING s.id, s.product_id, s.available, s.reserved, s.sold
),
inb AS (
  INSERT INTO inbox (consumer, event_id) SELECT $7, $8::uuid WHERE $7::text IS NOT NULL
  ON CONFLICT DO NOTHING
  RETURNING 1
),
${STOCK_CHANGED_CTES},
ev AS (
  INSERT INTO outbox (event_id, topic, key, type, payload)
  SELECT $2::uuid, $3::text, $4::text, $5::text, $6::jsonb
  WHERE EXISTS (SELECT 1 FROM r)
     OR ($9::boolean AND ${NOT_REDELIVERED} AND EXISTS (SELECT 1 FROM reservations WHERE order_id = $1 AND status IN ${repeatStatuses}))
  UNION ALL ${changedEventsSelect('$3', '$10')}
  RETURNING 1
)
SELECT (SELECT count(*) FROM r)::int AS changed, (SELECT count(*) FROM ev)::int AS events, NOT ${NOT_REDELIVERED} AS redelivered`;
}
const CONFIRM_SQL = transitionSql('confirm');
const RELEASE_SQL = transitionSql('release');
const EXPIRE_SQL = transitionSql('expire');

// A restock undoes what the order holds, whatever its confirmation did: reserved lines go back
// as a release does (reserved → available), confirmed ones from sold (sold → available): what
// the line still holds sold, `quantity - restocked` (partial restocks, RESTOCK_LINES_SQL, may
// have given some back already), after which `restocked = quantity`. Each line leaves
// 'reserved'/'confirmed' for 'released' once (the row lock of the FOR UPDATE read makes a
// concurrent confirm or restock wait and re-read the status and the restocked count), so every
// unit comes back exactly once and available + reserved + sold is unchanged.
const RESTOCK_SQL = `
WITH
o AS (
  SELECT id, status AS was, restocked AS before FROM reservations
  WHERE order_id = $1 AND status IN ${sourcesOf('restock')}
  FOR UPDATE
),
r AS (
  UPDATE reservations x SET status = ${targetOf('restock')},
                            restocked = CASE WHEN o.was = 'confirmed' THEN x.quantity ELSE x.restocked END,
                            updated_at = now()
  FROM o WHERE x.id = o.id
  RETURNING x.stock_id, x.quantity - o.before AS quantity, o.was
),
d AS (
  SELECT stock_id AS id,
         (sum(quantity) FILTER (WHERE was = 'reserved'))::int AS from_reserved,
         (sum(quantity) FILTER (WHERE was = 'confirmed'))::int AS from_sold
  FROM r GROUP BY stock_id
),
upd AS (
  UPDATE stock s SET available = s.available + coalesce(d.from_reserved, 0) + coalesce(d.from_sold, 0),
                     reserved = s.reserved - coalesce(d.from_reserved, 0),
                     sold = s.sold - coalesce(d.from_sold, 0),
                     updated_at = now()
  FROM d WHERE s.id = d.id
  RETURNING s.id, s.product_id, s.available, s.reserved, s.sold
),
inb AS (
  INSERT INTO inbox (consumer, event_id) SELECT $7, $8::uuid WHERE $7::text IS NOT NULL
  ON CONFLICT DO NOTHING
  RETURNING 1
),
${STOCK_CHANGED_CTES},
ev AS (
  INSERT INTO outbox (event_id, topic, key, type, payload)
  SELECT $2::uuid, $3::text, $4::text, $5::text, $6::jsonb
  WHERE EXISTS (SELECT 1 FROM r)
     OR ($9::boolean AND ${NOT_REDELIVERED} AND EXISTS (SELECT 1 FROM reservations WHERE order_id = $1 AND status IN ('released', 'expired')))
  UNION ALL ${changedEventsSelect('$3', '$10')}
  RETURNING 1
)
SELECT (SELECT count(*) FROM r)::int AS changed,
       (SELECT count(*) FROM r WHERE was = 'confirmed')::int AS restocked,
       (SELECT count(*) FROM ev)::int AS events, NOT ${NOT_REDELIVERED} AS redelivered`;

// Every restock (whole-order or of some lines) locks the order's reservation rows first, in id
// order, in a statement of its own: restocks of one order then run one after another (no
// deadlock between them), and what they read next is read after any confirm or restock of the
// order that held the rows committed.
const RESTOCK_LOCK_SQL = 'SELECT id FROM reservations WHERE order_id = $1 ORDER BY id FOR UPDATE';

// inventory.restock, read under the lock: the answer of an earlier restock with this id (a
// re-send), and the order's reservation rows with what each still holds sold.
const RESTOCK_LINES_READ_SQL = `
SELECT
  (SELECT jsonb_build_object('order_id', order_id, 'result', result) FROM restocks WHERE restock_id = $2) AS prior,
  (SELECT coalesce(jsonb_agg(jsonb_build_object(
            'id', id, 'line_id', line_id, 'product_id', product_id, 'size', size,
            'quantity', quantity, 'restocked', restocked, 'status', status)), '[]'::jsonb)
     FROM reservations WHERE order_id = $1) AS lines`;

// inventory.restock applied: each line's units go sold → available on its stock row, the line
// counts them in `restocked`, the answer is stored under restock_id, with the inbox claim and the
// outbox rows (stock.restocked, and stock.changed per product) in the same statement. The
// guard (still confirmed, never above quantity) holds under the lock, the CHECK constraints
// below it: a failure rolls the whole restock back.
const RESTOCK_LINES_SQL = `
WITH
g AS (SELECT * FROM unnest($1::uuid[], $2::int[]) AS g(id, n)),
r AS (
  UPDATE reservations x SET restocked = x.restocked + g.n, updated_at = now()
  FROM g WHERE x.id = g.id AND x.status = 'confirmed' AND x.restocked + g.n <= x.quantity
  RETURNING x.stock_id, g.n
),
d AS (SELECT stock_id AS id, sum(n)::int AS qty FROM r GROUP BY stock_id),
upd AS (
  UPDATE stock s SET available = s.available + d.qty, sold = s.sold - d.qty, updated_at = now()
  FROM d WHERE s.id = d.id
  RETURNING s.id, s.product_id, s.available, s.reserved, s.sold
),
rs AS (
  INSERT INTO restocks (restock_id, order_id, reason, result) VALUES ($3, $4, $5, $6::jsonb)
  RETURNING 1
),
inb AS (
  INSERT INTO inbox (consumer, event_id) SELECT $7, $8::uuid WHERE $7::text IS NOT NULL
  ON CONFLICT DO NOTHING
  RETURNING 1
),
${STOCK_CHANGED_CTES},
ev AS (
  INSERT INTO outbox (event_id, topic, key, type, payload)
  SELECT $9::uuid, $10::text, $11::text, $12::text, $13::jsonb
  UNION ALL ${changedEventsSelect('$10', '$14')}
  RETURNING 1
)
SELECT inventory_assert((SELECT count(*) FROM r) = cardinality($1::uuid[]), 'RESTOCK_GUARD') AS ok,
       (SELECT count(*) FROM rs)::int AS stored`;

// A re-sent inventory.restock: its inbox claim and, when announced, the stored answer again (not
// for a redelivery of the message that applied it or already announced it: see NOT_REDELIVERED).
const RESTOCK_REPEAT_SQL = `
WITH
inb AS (
  INSERT INTO inbox (consumer, event_id) SELECT $1, $2::uuid WHERE $1::text IS NOT NULL
  ON CONFLICT DO NOTHING
  RETURNING 1
),
ev AS (
  INSERT INTO outbox (event_id, topic, key, type, payload)
  SELECT $3::uuid, $4::text, $5::text, $6::text, $7::jsonb WHERE $3::uuid IS NOT NULL AND ($1::text IS NULL OR EXISTS (SELECT 1 FROM inb))
  RETURNING 1
)
SELECT (SELECT count(*) FROM ev)::int AS events`;

/** Runs of a restock transaction before a deadlock or a duplicate restock_id is thrown to the caller. */
const MAX_RESTOCK_ATTEMPTS = 3;

const ORDER_STATUSES_SQL = 'SELECT array_agg(DISTINCT status::text) AS statuses FROM reservations WHERE order_id = $1';

// The sweeper's look-up (the (status, expires_at) index): orders holding a line past its expiry.
const EXPIRED_ORDERS_SQL = `
SELECT order_id FROM reservations WHERE status IN ${sourcesOf('expire')} AND expires_at <= now()
 GROUP BY order_id ORDER BY min(expires_at) LIMIT $1`;

/**
 * The hot path's SQL runner (its own pool). Generic plans always: the statements here take
 * arrays, so one plan fits every batch, and PostgreSQL would otherwise re-plan the big WITH
 * statement for every execution (measured ~4 ms of planning per batch, more than its execution).
 */
export function createReservationSql(databaseUrl: string, poolSize: number): Sql {
  return createSql(databaseUrl, poolSize, { settings: { plan_cache_mode: 'force_generic_plan' } });
}

export class ReservationStore {
  constructor(private readonly sql: Sql) {}

  /** What is needed to map lines to stock rows; unknown (or malformed) ids are simply absent. */
  async loadProductIndex(productIds: string[]): Promise<Map<string, ProductStockIndex>> {
    const ids = [...new Set(productIds.filter((id) => UUID_RE.test(id)))];
    const out = new Map<string, ProductStockIndex>();
    if (ids.length === 0) return out;
    const rows = await this.sql.query<{ id: string; has_sizes: boolean; deleted: boolean; stock: Record<string, string> }>(PRODUCT_INDEX_SQL, [ids]);
    for (const r of rows) {
      out.set(r.id, { productId: r.id, hasSizes: r.has_sizes, deleted: r.deleted, stockIds: new Map(Object.entries(r.stock)) });
    }
    return out;
  }

  /**
   * One round trip: the stock levels of the batch's rows, the outcomes its orders already have,
   * and which of its commands' inbox claims are already recorded.
   */
  async readBatchState(stockIds: string[], orderIds: string[], claims: InboxClaim[] = []): Promise<BatchState> {
    const [row] = await this.sql.query<{
      stock: StockLevel[];
      outcomes: Array<{ result: ReserveOutcome; statuses: Record<string, ReservationStatus> | null }>;
      seen: string[];
    }>(READ_BATCH_SQL, [stockIds, orderIds, claims.map((c) => c.consumer), claims.map((c) => c.eventId)]);
    const stock = new Map(row.stock.map((s) => [s.id, s]));
    const existing = new Map(row.outcomes.map((o) => [o.result.order_id, withStatuses(o.result, o.statuses)]));
    return { stock, existing, seen: new Set(row.seen) };
  }

  async loadOutcome(orderId: string): Promise<ReserveOutcome | undefined> {
    const state = await this.readBatchState([], [orderId]);
    return state.existing.get(orderId);
  }

  /**
   * Applies a decided batch in one statement. Throws StaleBatchError when the guard fails (a
   * row had less stock than planned) or a duplicate outcome/reservation committed first.
   */
  async writeBatch(plan: BatchPlan, events: Envelope[], inbox: InboxClaim[], traceparent: string | undefined): Promise<void> {
    const taken = [...plan.taken.entries()];
    const rs = plan.reservations;
    const values = [
      taken.map(([id]) => id),
      taken.map(([, q]) => q),
      rs.map((r) => r.id),
      rs.map((r) => r.orderId),
      rs.map((r) => r.lineId),
      rs.map((r) => r.stockId),
      rs.map((r) => r.productId),
      rs.map((r) => r.size),
      rs.map((r) => r.quantity),
      rs.map((r) => r.expiresAt.toISOString()),
      plan.newOutcomes.map((o) => o.order_id),
      plan.newOutcomes.map((o) => o.status),
      plan.newOutcomes.map((o) => (o.status === 'rejected' ? o.code : null)),
      plan.newOutcomes.map((o) => JSON.stringify(o)),
      events.map((e) => e.id),
      events.map(() => Topics.inventoryEvents),
      events.map((e) => e.key),
      events.map((e) => e.type),
      events.map((e) => JSON.stringify(e)),
      inbox.map((c) => c.consumer),
      inbox.map((c) => c.eventId),
      Topics.inventoryEvents,
      traceparent ?? null,
    ];
    try {
      await this.sql.query(RESERVE_BATCH_SQL, values);
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (err.code === 'P0001' && err.message === 'STOCK_GUARD') throw new StaleBatchError('stock changed under the lock');
      if (err.code === '23505') throw new StaleBatchError('a duplicate committed first');
      // Two holders of the same rows (lost locks) can lock them in different orders.
      if (err.code === '40P01' || err.code === '40001') throw new StaleBatchError('deadlock with another holder');
      throw e;
    }
  }

  /**
   * Stores a rejection decided without stock (unknown product, size...). `inserted` false when
   * the order already had an outcome; `redelivered` when the inbox already held the claim.
   */
  async recordRejection(
    outcome: ReserveOutcome,
    event: Envelope | undefined,
    inbox: InboxClaim | undefined,
  ): Promise<{ inserted: boolean; redelivered: boolean }> {
    const [row] = await this.sql.query<{ inserted: number; claimed: number }>(RECORD_REJECTION_SQL, [
      outcome.order_id,
      outcome.status === 'rejected' ? outcome.code : null,
      JSON.stringify(outcome),
      event?.id ?? null,
      event ? Topics.inventoryEvents : null,
      event?.key ?? null,
      event?.type ?? null,
      event ? JSON.stringify(event) : null,
      inbox?.consumer ?? null,
      inbox?.eventId ?? null,
    ]);
    return { inserted: row.inserted === 1, redelivered: inbox !== undefined && row.claimed === 0 };
  }

  async confirm(orderId: string, event: Envelope, opts: { inbox?: InboxClaim; announceRepeat?: boolean }): Promise<TransitionResult<ConfirmStatus>> {
    const { changed, redelivered } = await this.move(CONFIRM_SQL, orderId, event, opts);
    if (changed > 0) return { order_id: orderId, status: 'confirmed', lines: changed };
    const statuses = await this.statusesOf(orderId);
    const again = redelivered ? { redelivered } : {};
    if (statuses.length === 0) return { order_id: orderId, status: 'not_found', lines: 0, ...again };
    return { order_id: orderId, status: statuses.includes('confirmed') ? 'already_confirmed' : 'already_released', lines: 0, ...again };
  }

  /** `expiredOnly`: the sweeper's variant (the `expire` move), which touches only reservations past expires_at. */
  async release(
    orderId: string,
    event: Envelope,
    opts: { inbox?: InboxClaim; announceRepeat?: boolean; expiredOnly?: boolean },
  ): Promise<TransitionResult<ReleaseStatus>> {
    const { changed, redelivered } = await this.move(opts.expiredOnly ? EXPIRE_SQL : RELEASE_SQL, orderId, event, opts);
    if (changed > 0) return { order_id: orderId, status: 'released', lines: changed };
    const statuses = await this.statusesOf(orderId);
    const again = redelivered ? { redelivered } : {};
    if (statuses.length === 0) return { order_id: orderId, status: 'not_found', lines: 0, ...again };
    return { order_id: orderId, status: statuses.includes('confirmed') ? 'already_confirmed' : 'already_released', lines: 0, ...again };
  }

  /**
   * Gives back everything the order holds, reserved or sold (the saga's undo of a confirmation
   * that may have landed). A repeat changes nothing and, with announceRepeat, answers again.
   */
  async restock(
    orderId: string,
    event: Envelope,
    opts: { inbox?: InboxClaim; announceRepeat?: boolean },
  ): Promise<TransitionResult<ReleaseStatus> & { restocked: number }> {
    // The order's reservation rows are locked first, in a statement of their own, so RESTOCK_SQL
    // runs on a snapshot taken after any confirm of this order committed or started waiting for
    // us. In one statement the snapshot could predate a racing confirm: its sold units were then
    // taken back from a stock row that did not hold them yet (sold < 0, found by restock.test).
    const row = await this.inOrderLock(orderId, async (tx) => {
      const [out] = await tx.query<{ changed: number; restocked: number; redelivered: boolean }>(RESTOCK_SQL, [
        orderId,
        event.id,
        Topics.inventoryEvents,
        event.key,
        event.type,
        JSON.stringify(event),
        opts.inbox?.consumer ?? null,
        opts.inbox?.eventId ?? null,
        !!opts.announceRepeat,
        event.traceparent ?? null,
      ]);
      return out;
    });
    if (row.changed > 0) return { order_id: orderId, status: 'released', lines: row.changed, restocked: row.restocked };
    const statuses = await this.statusesOf(orderId);
    const again = row.redelivered ? { redelivered: true as const } : {};
    return { order_id: orderId, status: statuses.length === 0 ? 'not_found' : 'already_released', lines: 0, restocked: 0, ...again };
  }

  /**
   * inventory.restock: `work` reads and writes through `tx` inside inOrderLock's transaction, so
   * restocks of one order (of some lines or whole) never interleave and a confirm of it has
   * committed or waits.
   */
  restockLines<T>(orderId: string, work: (tx: RestockLinesTx) => Promise<T>): Promise<T> {
    return this.inOrderLock(orderId, (tx) => work(new RestockLinesTx(tx)));
  }

  /**
   * Runs `work` in one transaction that first locks the order's reservation rows
   * (RESTOCK_LOCK_SQL). A deadlock with a confirm or a release (their UPDATE locks the rows in its
   * own order) or a racing insert of the same restock_id rolls back and runs it again: the next
   * run reads what the first one lost to.
   */
  private async inOrderLock<T>(orderId: string, work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sql.transaction(async (tx) => {
          await tx.query(RESTOCK_LOCK_SQL, [orderId]);
          return work(tx);
        });
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (attempt < MAX_RESTOCK_ATTEMPTS && (code === '40P01' || code === '40001' || code === '23505')) continue;
        throw e;
      }
    }
  }

  /** Outbox rows on their own (re-announcing an answer that changes nothing). */
  async appendEvents(events: Envelope[]): Promise<void> {
    if (events.length === 0) return;
    const { text, values } = insertOutboxSql(events, Topics.inventoryEvents);
    await this.sql.execute(text, values);
  }

  /** Orders with a reservation past its expiry, oldest first. */
  async expiredOrders(limit: number): Promise<string[]> {
    const rows = await this.sql.query<{ order_id: string }>(EXPIRED_ORDERS_SQL, [limit]);
    return rows.map((r) => r.order_id);
  }

  private async move(
    sql: string,
    orderId: string,
    event: Envelope,
    opts: { inbox?: InboxClaim; announceRepeat?: boolean },
  ): Promise<{ changed: number; redelivered?: true }> {
    const [row] = await this.sql.query<{ changed: number; redelivered: boolean }>(sql, [
      orderId,
      event.id,
      Topics.inventoryEvents,
      event.key,
      event.type,
      JSON.stringify(event),
      opts.inbox?.consumer ?? null,
      opts.inbox?.eventId ?? null,
      !!opts.announceRepeat,
      event.traceparent ?? null,
    ]);
    return row.redelivered ? { changed: row.changed, redelivered: true } : { changed: row.changed };
  }

  private async statusesOf(orderId: string): Promise<ReservationStatus[]> {
    const [row] = await this.sql.query<{ statuses: ReservationStatus[] | null }>(ORDER_STATUSES_SQL, [orderId]);
    return row.statuses ?? [];
  }
}

/** An applied restock found again by its restock_id. */
export interface StoredRestock {
  order_id: string;
  result: StockRestockedEvent;
}

/** inventory.restock's statements, inside ReservationStore.restockLines' transaction. */
export class RestockLinesTx {
  constructor(private readonly tx: SqlRunner) {}

  /** The earlier answer of this restock_id, if any, and the order's reservation rows (locked). */
  async read(orderId: string, restockId: string): Promise<{ prior?: StoredRestock; lines: RestockableLine[] }> {
    const [row] = await this.tx.query<{ prior: StoredRestock | null; lines: RestockableLine[] }>(RESTOCK_LINES_READ_SQL, [orderId, restockId]);
    return { ...(row.prior ? { prior: row.prior } : {}), lines: row.lines };
  }

  /** Applies a planned restock: stock, the lines' restocked counts, the stored answer, inbox, outbox. */
  async apply(request: RestockRequest, plan: RestockPlan, event: Envelope, inbox: InboxClaim | undefined): Promise<void> {
    const gives = [...plan.gives.entries()];
    await this.tx.query(RESTOCK_LINES_SQL, [
      gives.map(([id]) => id),
      gives.map(([, n]) => n),
      request.restock_id,
      request.order_id,
      request.reason,
      JSON.stringify(plan.result),
      inbox?.consumer ?? null,
      inbox?.eventId ?? null,
      event.id,
      Topics.inventoryEvents,
      event.key,
      event.type,
      JSON.stringify(event),
      event.traceparent ?? null,
    ]);
  }

  /** A re-sent restock: claims the message and, when given, announces the stored answer again. */
  async repeat(event: Envelope | undefined, inbox: InboxClaim | undefined): Promise<void> {
    await this.tx.query(RESTOCK_REPEAT_SQL, [
      inbox?.consumer ?? null,
      inbox?.eventId ?? null,
      event?.id ?? null,
      event ? Topics.inventoryEvents : null,
      event?.key ?? null,
      event?.type ?? null,
      event ? JSON.stringify(event) : null,
    ]);
  }
}

/** A stored "reserved" outcome shows each line's current status (confirmed, released...). */
function withStatuses(outcome: ReserveOutcome, statuses: Record<string, ReservationStatus> | null): ReserveOutcome {
  if (outcome.status !== 'reserved' || !statuses) return outcome;
  return { ...outcome, lines: outcome.lines.map((l) => ({ ...l, status: statuses[l.line_id] ?? l.status })) };
}
