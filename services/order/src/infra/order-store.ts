import { sortKeyOf, sqlOverPrisma, type Envelope, type TopicName } from '@sudamall/shared';
import type { NewOrder, PlacementStore } from '../app/place-order';
import type { OrderStatus } from '../domain/order-status';
import { isUuid } from '../domain/errors';
import type { OrderListFilter } from '../domain/order-listing';
import { type Prisma } from '../generated/prisma/client';
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
// p50 to processing 3.4 -> 2.9 s. Everything else here is Prisma's models.
const ORDER_ID_BY_IDEMPOTENCY_KEY = 'SELECT order_id::text FROM orders WHERE user_id = $1 AND idempotency_key = $2';
const ORDER_STATUS = 'SELECT status::text FROM orders WHERE order_id = $1::uuid';
const ORDER_HEAD = `
  SELECT order_id::text, user_id, status::text, store_ids, payment_expires_at, total_amount::text, cancel_reason
    FROM orders WHERE order_id = $1::uuid`;

export class OrderStore implements PlacementStore {
  private readonly sql;

  constructor(private readonly db: Db) {
    this.sql = sqlOverPrisma(db);
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

  async getOrder(orderId: string): Promise<OrderRecord | null> {
    if (!isUuid(orderId)) return null;
    const o = await this.db.order.findUnique({ where: { id: orderId }, include: orderInclude });
    return o ? { ...o, cancellation: (await this.latestCancellations([o])).get(o.id) ?? null } : null;
  }

  async getDetail(orderId: string): Promise<OrderDetailRecord | null> {
    if (!isUuid(orderId)) return null;
    const o = await this.db.order.findUnique({
      where: { id: orderId },
      include: { ...orderInclude, history: { orderBy: { id: 'asc' } }, saga: true },
    });
    if (!o) return null;
    return { ...o, cancellation: (await this.latestCancellations([o])).get(o.id) ?? null };
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
