import { sortKeyOf, sqlOverPrisma, type Envelope, type SqlRunner, type TopicName } from '@sudamall/shared';
import type { NewOrder, PlacementStore } from '../app/place-order';
import type { OrderStatus } from '../domain/order-status';
import { isUuid } from '../domain/errors';
import type { OrderListFilter } from '../domain/order-listing';
import { Prisma } from '../generated/prisma/client';
import type { SagaDecision } from '../saga/saga-types';
import type { Db } from './prisma';

/** What access checks and payment need of an order; `totalAmount` as the column's text (`12.50`). */
export interface OrderHeadRow {
  id: string;
  userId: string;
  status: OrderStatus;
  storeIds: string[];
  paymentExpiresAt: Date | null;
  totalAmount: string;
  cancelReason: string | null;
}

const orderInclude = {
  items: { orderBy: { productId: 'asc' } },
  fulfillments: { orderBy: { storeId: 'asc' } },
} satisfies Prisma.OrderInclude;
type OrderRow = Prisma.OrderGetPayload<{ include: typeof orderInclude }>;
/** A cancellation after payment or a return, as stored. */
export type AdjustmentRecord = Prisma.OrderAdjustmentGetPayload<object>;
type AdjustmentRow = AdjustmentRecord;
/** An order with its items, fulfilments and latest cancellation after payment (http/presenters.ts shapes it). */
export type OrderRecord = OrderRow & { cancellation: AdjustmentRecord | null };
/** The order with its status history and saga, as GET orders/{id}/ shows it. */
export type OrderDetailRecord = OrderRecord & {
  history: Array<Prisma.OrderStatusHistoryGetPayload<object>>;
  saga: Prisma.SagaInstanceGetPayload<object> | null;
};
/** A saga as the admin's list shows it. */
export type SagaRecord = Prisma.SagaInstanceGetPayload<object>;

/**
 * Only a paid order can have been cancelled after payment: the checkout's hot reads (an order
 * pending or waiting for payment) skip the look-up of its latest cancellation.
 */
const mayHaveCancellation = (status: string) => status !== 'pending' && status !== 'under_paying';

/** The trace id of a W3C traceparent (`00-<trace>-<span>-01`), kept with the saga for the dashboard. */
const traceIdOf = (tp: string | undefined) => (tp ? (tp.split('-')[1] ?? null) : null);

// The three reads every checkout makes several times (replay check, waiting for the reservation,
// payment's GetOrderForPayment, access checks) are raw SQL on a hot path: no query compilation per
// call. Measured (ed243af, checkout bench at 32 buyers): order CPU per checkout 29-32 -> 25 ms,
// p50 to processing 3.4 -> 2.9 s. They run on the hot path's own node-postgres pool
// (infra/hot-path-sql.ts: ~4× less CPU per statement than Prisma's raw path). Everything else
// here is Prisma's models.
const ORDER_ID_BY_IDEMPOTENCY_KEY = 'SELECT order_id::text FROM orders WHERE user_id = $1 AND idempotency_key = $2';
const ORDER_STATUS = 'SELECT status::text FROM orders WHERE order_id = $1::uuid';
const ORDER_HEAD = `
  SELECT order_id::text, user_id, status::text, store_ids, payment_expires_at, total_amount::text, cancel_reason
    FROM orders WHERE order_id = $1::uuid`;

export class OrderStore implements PlacementStore {
  private readonly sql: SqlRunner;

  /** @param hot the hot path's pool (createHotPathSql) for the raw statements; Prisma's raw path without it. */
  constructor(
    private readonly db: Db,
    hot?: SqlRunner,
  ) {
    this.sql = hot ?? sqlOverPrisma(db);
  }

  async findIdByIdempotencyKey(userId: string, key: string): Promise<string | null> {
    const rows = await this.sql.query<{ order_id: string }>(ORDER_ID_BY_IDEMPOTENCY_KEY, [userId, key]);
    return rows[0]?.order_id ?? null;
  }

  async currentStatus(orderId: string): Promise<string | null> {
    if (!isUuid(orderId)) return null;
    const rows = await this.sql.query<{ status: string }>(ORDER_STATUS, [orderId]);
    return rows[0]?.status ?? null;
  }

  /**
   * Order, items, first history row, saga, its step log and the outbox rows, in ONE statement
   * (atomic on its own: no transaction round trips). A concurrent call with the same
   * (user, idempotency key) makes the order insert do nothing, and with it every other insert,
   * which all read from it: 'duplicate'.
   */
  async insertPlaced(
    order: NewOrder,
    saga: SagaDecision,
    outbox: Array<{ topic: TopicName; envelope: Envelope }>,
    now: Date,
  ): Promise<'created' | 'duplicate'> {
    const s = saga.saga;
    const [row] = await this.sql.query<{ created: number }>(INSERT_PLACED, [
      order.id,
      order.userId,
      order.idempotencyKey,
      order.shippingAddress,
      order.notes,
      order.totalAmount,
      order.storeIds,
      now,
      JSON.stringify(
        order.items.map((it) => ({
          item_id: it.id,
          product_id: it.productId,
          product_name: it.productName,
          size: it.size,
          quantity: it.quantity,
          price: it.price,
          store_id: it.storeId,
          snapshot_id: it.snapshot.snapshotId,
          product_snapshot: it.snapshot.data,
        })),
      ),
      s.state,
      s.currentStep,
      s.attempts,
      s.lastError,
      s.stepStartedAt,
      s.deadlineAt,
      s.nextRetryAt,
      s.stuck,
      traceIdOf(outbox[0]?.envelope.traceparent),
      JSON.stringify(s.awaiting),
      JSON.stringify(s.context),
      JSON.stringify(saga.log.map((e) => ({ step: e.step, kind: e.kind, type: e.type, payload: e.payload ?? {} }))),
      JSON.stringify(outbox.map(({ topic, envelope }) => ({ event_id: envelope.id, topic, key: envelope.key, type: envelope.type, payload: envelope }))),
      order.shippingAddressSnapshot ? JSON.stringify(order.shippingAddressSnapshot) : null,
    ]);
    return row && Number(row.created) === 1 ? 'created' : 'duplicate';
  }

  /** The latest cancellation after payment of each of these orders (none asked of an unpaid one). */
  private async latestCancellations(orders: ReadonlyArray<{ id: string; status: string }>): Promise<Map<string, AdjustmentRow>> {
    const ids = orders.filter((o) => mayHaveCancellation(o.status)).map((o) => o.id);
    const latest = new Map<string, AdjustmentRow>();
    if (ids.length === 0) return latest;
    const rows = await this.db.orderAdjustment.findMany({
      where: { orderId: { in: ids }, kind: 'cancellation' },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    for (const r of rows) if (!latest.has(r.orderId)) latest.set(r.orderId, r);
    return latest;
  }

  /** The order without its history and saga (one statement, as getDetail). */
  async getOrder(orderId: string): Promise<OrderRecord | null> {
    const detail = await this.getDetail(orderId);
    if (!detail) return null;
    const { history: _history, saga: _saga, ...order } = detail;
    return order;
  }

  /**
   * The order with items, fulfilments, latest cancellation, history and saga in ONE statement
   * (Prisma's include took five or six: every create's answer and every GET of an order reads it).
   */
  async getDetail(orderId: string): Promise<OrderDetailRecord | null> {
    if (!isUuid(orderId)) return null;
    const [row] = await this.sql.query<{ d: DetailJson }>(ORDER_DETAIL, [orderId]);
    return row ? detailFromJson(row.d) : null;
  }

  /** Cancellations after payment and returns for operators: stuck ones, open ones, of a kind; newest first. */
  async listAdjustments(filter: { id?: string; stuck?: boolean; open?: boolean; kind?: string; page: number; pageSize: number }) {
    const where: Prisma.OrderAdjustmentWhereInput = {
      ...(filter.id ? { id: filter.id } : {}),
      ...(filter.stuck !== undefined ? { stuck: filter.stuck } : {}),
      ...(filter.open ? { status: { notIn: ['completed', 'rejected'] } } : {}),
      ...(filter.kind ? { kind: filter.kind } : {}),
    };
    const [rows, total] = await Promise.all([
      this.db.orderAdjustment.findMany({
        where,
        orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
        skip: (filter.page - 1) * filter.pageSize,
        take: filter.pageSize,
      }),
      this.db.orderAdjustment.count({ where }),
    ]);
    return { total, items: rows };
  }

  /** The order's returns, oldest first. */
  async listReturns(orderId: string): Promise<AdjustmentRecord[]> {
    if (!isUuid(orderId)) return [];
    return this.db.orderAdjustment.findMany({ where: { orderId, kind: 'return' }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }

  async head(orderId: string): Promise<OrderHeadRow | null> {
    if (!isUuid(orderId)) return null;
    const rows = await this.sql.query<{
      order_id: string;
      user_id: string;
      status: string;
      store_ids: string[] | null;
      payment_expires_at: Date | null;
      total_amount: string;
      cancel_reason: string | null;
    }>(ORDER_HEAD, [orderId]);
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.order_id,
      userId: r.user_id,
      status: r.status as OrderStatus,
      storeIds: r.store_ids ?? [],
      paymentExpiresAt: r.payment_expires_at === null ? null : new Date(r.payment_expires_at),
      totalAmount: r.total_amount,
      cancelReason: r.cancel_reason,
    };
  }

  async list(filter: OrderListFilter<OrderStatus>): Promise<{ items: OrderRecord[]; total: number }> {
    const { scope } = filter;
    const where: Prisma.OrderWhereInput = {
      ...(scope.kind === 'buyer' ? { userId: scope.userId } : {}),
      ...(scope.kind === 'store' ? { storeIds: { has: scope.storeId } } : {}),
      ...(scope.kind === 'all' && scope.userId ? { userId: scope.userId } : {}),
      ...(scope.kind === 'all' && scope.storeId ? { storeIds: { has: scope.storeId } } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.createdAfter || filter.createdBefore
        ? { createdAt: { ...(filter.createdAfter ? { gte: filter.createdAfter } : {}), ...(filter.createdBefore ? { lt: filter.createdBefore } : {}) } }
        : {}),
    };
    const { field, descending } = sortKeyOf(filter.sort);
    const direction = descending ? 'desc' : 'asc';
    // The order id breaks ties, so pages never overlap.
    const [rows, total] = await Promise.all([
      this.db.order.findMany({
        where,
        include: orderInclude,
        orderBy: [field === 'total_amount' ? { totalAmount: direction } : { createdAt: direction }, { id: direction }],
        skip: (filter.page - 1) * filter.pageSize,
        take: filter.pageSize,
      }),
      this.db.order.count({ where }),
    ]);
    const cancellations = await this.latestCancellations(rows);
    return { items: rows.map((o) => ({ ...o, cancellation: cancellations.get(o.id) ?? null })), total };
  }

  async countOverdue(now: Date): Promise<number> {
    return this.db.order.count({ where: { status: 'under_paying', paymentExpiresAt: { lte: now }, saga: { state: 'awaiting_payment' } } });
  }

  async listSagas(opts: { state?: string; stuck?: boolean; olderThanSeconds?: number; page: number; pageSize: number; now: Date }) {
    const where: Prisma.SagaInstanceWhereInput = {
      ...(opts.state ? { state: opts.state } : {}),
      ...(opts.stuck !== undefined ? { stuck: opts.stuck } : {}),
      ...(opts.olderThanSeconds !== undefined ? { createdAt: { lte: new Date(opts.now.getTime() - opts.olderThanSeconds * 1000) } } : {}),
    };
    const [rows, total, byState, stuck] = await Promise.all([
      this.db.sagaInstance.findMany({ where, orderBy: { createdAt: 'desc' }, skip: (opts.page - 1) * opts.pageSize, take: opts.pageSize }),
      this.db.sagaInstance.count({ where }),
      this.db.sagaInstance.groupBy({ by: ['state'], _count: { _all: true } }),
      this.db.sagaInstance.count({ where: { stuck: true } }),
    ]);
    return {
      items: rows,
      total,
      counts: Object.fromEntries(byState.map((g) => [g.state, g._count._all])) as Record<string, number>,
      stuckCount: stuck,
    };
  }
}

// Placing an order is ONE statement, a multi-write CTE (which Prisma cannot express): one round
// trip instead of a transaction of eight (bench/README.md, "What limits each").
const INSERT_PLACED = `
  WITH placed AS (
    INSERT INTO orders (order_id, user_id, idempotency_key, shipping_address, notes, total_amount, store_ids, status, created_at, updated_at, shipping_address_snapshot)
    VALUES ($1::uuid, $2, $3, $4, $5, $6::numeric, $7::text[], 'pending', $8::timestamptz, $8::timestamptz, $23::jsonb)
    ON CONFLICT (user_id, idempotency_key) DO NOTHING
    RETURNING order_id
  ), items AS (
    INSERT INTO order_items (item_id, order_id, product_id, product_name, size, quantity, price, store_id, snapshot_id, product_snapshot)
    SELECT i.item_id::uuid, placed.order_id, i.product_id, i.product_name, i.size, i.quantity, i.price::numeric, i.store_id, i.snapshot_id, i.product_snapshot
      FROM placed, jsonb_to_recordset($9::jsonb) AS i(item_id text, product_id text, product_name text, size text, quantity int,
                                                      price text, store_id text, snapshot_id text, product_snapshot jsonb)
    RETURNING 1
  ), history AS (
    INSERT INTO order_status_history (order_id, from_status, to_status, changed_by, actor_role, reason)
    SELECT order_id, NULL, 'pending', $2, 'buyer', 'placed' FROM placed
    RETURNING 1
  ), fulfillments AS (
    -- One per store with items in the order, waiting for the payment.
    INSERT INTO order_fulfillments (order_id, store_id, status, subtotal)
    SELECT placed.order_id, i.store_id, 'pending', sum(i.price::numeric * i.quantity)
      FROM placed, jsonb_to_recordset($9::jsonb) AS i(store_id text, price text, quantity int)
     GROUP BY placed.order_id, i.store_id
    RETURNING 1
  ), saga AS (
    INSERT INTO saga_instances (order_id, state, current_step, attempts, last_error, step_started_at, deadline_at, next_retry_at,
                                stuck, trace_id, awaiting, context, created_at, updated_at)
    SELECT order_id, $10, $11, $12, $13, $14::timestamptz, $15::timestamptz, $16::timestamptz, $17, $18, $19::jsonb, $20::jsonb, now(), now()
      FROM placed
    RETURNING 1
  ), step_log AS (
    INSERT INTO saga_step_log (order_id, step, kind, type, payload)
    SELECT placed.order_id, e.step, e.kind, e.type, e.payload
      FROM placed, ROWS FROM (jsonb_to_recordset($21::jsonb) AS (step text, kind text, type text, payload jsonb)) WITH ORDINALITY AS e(step, kind, type, payload, n)
     ORDER BY e.n
    RETURNING 1
  ), outbox_rows AS (
    INSERT INTO outbox (event_id, topic, key, type, payload)
    SELECT m.event_id::uuid, m.topic, m.key, m.type, m.payload
      FROM placed, ROWS FROM (jsonb_to_recordset($22::jsonb) AS (event_id text, topic text, key text, type text, payload jsonb)) WITH ORDINALITY AS m(event_id, topic, key, type, payload, n)
     ORDER BY m.n
    RETURNING 1
  )
  SELECT count(*)::int AS created FROM placed`;

// An order's whole view as ONE json document (PostgreSQL builds it; Prisma's include would be a
// query per relation): one round trip instead of five or six on every create's answer and every
// GET of an order (issue 15). Orders as Prisma's include ordered them: items by product id,
// fulfilments by store, history by id; the latest cancellation after payment only for an order
// that can have one (mayHaveCancellation). Numbers, ids and times travel as text, read back exactly.
const ORDER_DETAIL = `
  SELECT json_build_object(
    'id', o.order_id::text, 'userId', o.user_id, 'storeIds', o.store_ids, 'status', o.status::text,
    'totalAmount', o.total_amount::text, 'shippingAddress', o.shipping_address,
    'shippingAddressSnapshot', o.shipping_address_snapshot, 'notes', o.notes, 'idempotencyKey', o.idempotency_key,
    'paymentExpiresAt', o.payment_expires_at, 'cancelReason', o.cancel_reason, 'shortLines', o.short_lines,
    'createdAt', o.created_at, 'updatedAt', o.updated_at,
    'items', COALESCE((
      SELECT json_agg(json_build_object(
               'id', i.item_id::text, 'orderId', i.order_id::text, 'productId', i.product_id, 'productName', i.product_name,
               'size', i.size, 'quantity', i.quantity, 'price', i.price::text, 'storeId', i.store_id,
               'snapshotId', i.snapshot_id, 'productSnapshot', i.product_snapshot) ORDER BY i.product_id)
        FROM order_items i WHERE i.order_id = o.order_id), '[]'),
    'fulfillments', COALESCE((
      SELECT json_agg(json_build_object(
               'orderId', f.order_id::text, 'storeId', f.store_id, 'status', f.status::text, 'subtotal', f.subtotal::text,
               'trackingNumber', f.tracking_number, 'shippedAt', f.shipped_at, 'deliveredAt', f.delivered_at,
               'cancelledAt', f.cancelled_at, 'cancelReason', f.cancel_reason, 'collectedAt', f.collected_at,
               'collectedAmount', f.collected_amount::text, 'createdAt', f.created_at, 'updatedAt', f.updated_at) ORDER BY f.store_id)
        FROM order_fulfillments f WHERE f.order_id = o.order_id), '[]'),
    'history', COALESCE((
      SELECT json_agg(json_build_object(
               'id', h.id::text, 'orderId', h.order_id::text, 'fromStatus', h.from_status::text, 'toStatus', h.to_status::text,
               'changedBy', h.changed_by, 'actorRole', h.actor_role, 'reason', h.reason, 'notes', h.notes,
               'createdAt', h.created_at) ORDER BY h.id)
        FROM order_status_history h WHERE h.order_id = o.order_id), '[]'),
    'saga', (
      SELECT json_build_object(
               'orderId', s.order_id::text, 'sagaType', s.saga_type, 'state', s.state, 'currentStep', s.current_step,
               'attempts', s.attempts, 'lastError', s.last_error, 'stepStartedAt', s.step_started_at,
               'deadlineAt', s.deadline_at, 'nextRetryAt', s.next_retry_at, 'stuck', s.stuck, 'traceId', s.trace_id,
               'awaiting', s.awaiting, 'context', s.context, 'createdAt', s.created_at, 'updatedAt', s.updated_at)
        FROM saga_instances s WHERE s.order_id = o.order_id),
    'cancellation', (
      SELECT json_build_object(
               'id', a.adjustment_id::text, 'orderId', a.order_id::text, 'kind', a.kind, 'storeId', a.store_id,
               'status', a.status, 'reason', a.reason, 'refundAmount', a.refund_amount::text,
               'refundedAmount', a.refunded_amount::text, 'refundId', a.refund_id, 'lines', a.lines, 'restock', a.restock,
               'requestedBy', a.requested_by, 'requestedRole', a.requested_role, 'decidedBy', a.decided_by,
               'decisionReason', a.decision_reason, 'awaiting', a.awaiting, 'attempts', a.attempts,
               'nextRetryAt', a.next_retry_at, 'stuck', a.stuck, 'lastError', a.last_error, 'createdAt', a.created_at,
               'updatedAt', a.updated_at, 'completedAt', a.completed_at)
        FROM order_adjustments a
       WHERE a.order_id = o.order_id AND a.kind = 'cancellation' AND o.status::text NOT IN ('pending', 'under_paying')
       ORDER BY a.created_at DESC, a.adjustment_id DESC
       LIMIT 1)
  )::text AS d
    FROM orders o
   WHERE o.order_id = $1::uuid`;

/** ORDER_DETAIL's document as JSON.parse gives it: times, decimals and big ids as strings. */
type Text<T> = {
  [K in keyof T]: T[K] extends Date
    ? string
    : T[K] extends Date | null
      ? string | null
      : T[K] extends Prisma.Decimal
        ? string
        : T[K] extends Prisma.Decimal | null
          ? string | null
          : T[K] extends bigint
            ? string
            : T[K];
};
interface DetailJson extends Text<Omit<OrderDetailRecord, 'items' | 'fulfillments' | 'history' | 'saga' | 'cancellation'>> {
  items: Array<Text<OrderDetailRecord['items'][number]>>;
  fulfillments: Array<Text<OrderDetailRecord['fulfillments'][number]>>;
  history: Array<Text<OrderDetailRecord['history'][number]>>;
  saga: Text<SagaRecord> | null;
  cancellation: Text<AdjustmentRecord> | null;
}

const at = (v: string | null): Date | null => (v === null ? null : new Date(v));
const atOf = (v: string): Date => new Date(v);
const dec = (v: string): Prisma.Decimal => new Prisma.Decimal(v);
const decOrNull = (v: string | null): Prisma.Decimal | null => (v === null ? null : new Prisma.Decimal(v));

/** The same record Prisma's include gave (Decimal, Date, bigint where its models have them). */
function detailFromJson(d: DetailJson | string): OrderDetailRecord {
  const j: DetailJson = typeof d === 'string' ? (JSON.parse(d) as DetailJson) : d;
  return {
    ...j,
    totalAmount: dec(j.totalAmount),
    paymentExpiresAt: at(j.paymentExpiresAt),
    createdAt: atOf(j.createdAt),
    updatedAt: atOf(j.updatedAt),
    items: j.items.map((i) => ({ ...i, price: dec(i.price) })),
    fulfillments: j.fulfillments.map((f) => ({
      ...f,
      subtotal: dec(f.subtotal),
      shippedAt: at(f.shippedAt),
      deliveredAt: at(f.deliveredAt),
      cancelledAt: at(f.cancelledAt),
      collectedAt: at(f.collectedAt),
      collectedAmount: decOrNull(f.collectedAmount),
      createdAt: atOf(f.createdAt),
      updatedAt: atOf(f.updatedAt),
    })),
    history: j.history.map((h) => ({ ...h, id: BigInt(h.id), createdAt: atOf(h.createdAt) })),
    saga: j.saga
      ? {
          ...j.saga,
          stepStartedAt: atOf(j.saga.stepStartedAt),
          deadlineAt: at(j.saga.deadlineAt),
          nextRetryAt: at(j.saga.nextRetryAt),
          createdAt: atOf(j.saga.createdAt),
          updatedAt: atOf(j.saga.updatedAt),
        }
      : null,
    cancellation: j.cancellation
      ? {
          ...j.cancellation,
          refundAmount: decOrNull(j.cancellation.refundAmount),
          refundedAmount: decOrNull(j.cancellation.refundedAmount),
          nextRetryAt: at(j.cancellation.nextRetryAt),
          createdAt: atOf(j.cancellation.createdAt),
          updatedAt: atOf(j.cancellation.updatedAt),
          completedAt: at(j.cancellation.completedAt),
        }
      : null,
  };
}
