// The platform's promises, checked against what the four databases actually hold (not what the
// APIs say): stock conserved, nothing oversold, every order finished or waiting inside its
// window, money taken at most once and given back when the order died, every message sent and
// every saga command answered, every cancellation and return after payment brought to an end
// with its refund and its units where they belong. Written once; the e2e invariant test, the
// marketplace test and every chaos scenario run it after the dust settles.
//
// It is scoped to one run: the products the run listed, and the orders that contain them (an
// order can only hold products the run created), so runs sharing the *_test databases never see
// each other's rows.
import { Client } from 'pg';

export interface InvariantDatabases {
  inventory: string;
  order: string;
  payment: string;
  cart: string;
}

export interface InvariantScope {
  /** Every product the run listed. Orders are found through their items. */
  productIds: string[];
  /** Orders the run knows it created (added to those found through the products). */
  orderIds?: string[];
}

export interface InvariantOptions {
  /** An order may stay `pending` (stock being reserved) this long. */
  pendingGraceSeconds?: number;
  /** An `under_paying` order may outlive its deadline by this much (the expiry sweep's period). */
  expiryGraceSeconds?: number;
  /** Messages, compensations and refunds in flight may take this long to land. */
  settleGraceSeconds?: number;
  /** Count an order still inside its payment window as unsettled (tests with a short window wait for it). */
  requireTerminal?: boolean;
}

export interface Violation {
  invariant: string;
  /** What it is about: `stock:<id>`, `order:<id>`, `outbox:<db>:<id>`... */
  subject: string;
  details: Record<string, unknown>;
}

export interface InvariantReport {
  violations: Violation[];
  /** What looks wrong but may still be in flight (inside a grace period): judged on a later pass. */
  unsettled: Violation[];
  /** What was looked at, for the printed verdict. */
  counts: {
    products: number;
    stockRows: number;
    orders: number;
    ordersByStatus: Record<string, number>;
    payments: number;
    succeededCharges: number;
    refunds: number;
    /** Cancellations after payment and returns (order_adjustments), by status. */
    adjustmentsByStatus: Record<string, number>;
    outboxRows: number;
  };
}

const DEFAULTS: Required<InvariantOptions> = { pendingGraceSeconds: 30, expiryGraceSeconds: 15, settleGraceSeconds: 15, requireTerminal: false };

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

interface StockRow {
  id: string;
  product_id: string;
  size: string;
  available: number;
  reserved: number;
  sold: number;
  put_in: number;
  open_reserved: number;
  confirmed: number;
}

interface OrderRow {
  order_id: string;
  status: string;
  total_amount: string;
  payment_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
  cancel_reason: string | null;
  item_quantity: number;
  saga_state: string | null;
  saga_awaiting: unknown[] | null;
  saga_stuck: boolean | null;
  saga_step_started_at: Date | null;
  saga_last_error: string | null;
  age_seconds: number;
  quiet_seconds: number;
  overdue_seconds: number | null;
}

interface ReservationSummary {
  order_id: string;
  reserved: number;
  /** Units of confirmed lines (their quantity, restocked or not). */
  confirmed: number;
  /** Of those, the units inventory.restock gave back (reservations.restocked). */
  restocked: number;
  released: number;
  rows: number;
}

/** One line's reservation, for the lines of cancelled parts and returns. */
interface ReservationLine {
  order_id: string;
  line_id: string;
  status: string;
  quantity: number;
  restocked: number;
}

/** A cancellation after payment or a return (order_adjustments), with its order's lines. */
interface AdjustmentRow {
  adjustment_id: string;
  order_id: string;
  kind: string;
  store_id: string | null;
  status: string;
  refund_amount: string | null;
  refunded_amount: string | null;
  lines: Array<{ line_id: string; quantity: number }>;
  restock: boolean;
  stuck: boolean;
  last_error: string | null;
  quiet_seconds: number;
}

interface FulfillmentRow {
  order_id: string;
  store_id: string;
  status: string;
  /** The order's item ids of this store. */
  item_ids: string[];
  quiet_seconds: number;
}

interface PaymentRow {
  payment_id: string;
  order_reference: string;
  status: string;
  amount: string;
  total_amount: string;
  refunded_amount: string;
  gateway_transaction_id: string | null;
  succeeded_attempts: number;
  processing_attempts: number;
  completed_refunds: string;
  pending_refunds: number;
  /** Reserved by refunds still pending (their outcome not known yet). */
  pending_refund_amount: string;
  oldest_pending_refund_seconds: number | null;
  /** Second captures recorded for it (duplicate_captures), and those not refunded yet. */
  duplicate_captures: number;
  unrefunded_duplicates: number;
  failed_duplicate_refunds: number;
  oldest_unrefunded_duplicate_seconds: number | null;
  quiet_seconds: number;
}

const cents = (s: string | number) => Math.round(Number(s) * 100);

/** Quantities per order and reservation status, over the run's products. */
async function reservationsByOrder(c: Client, productIds: string[]): Promise<Map<string, ReservationSummary>> {
  const { rows } = await c.query<ReservationSummary>(
    `SELECT order_id,
            COALESCE(sum(quantity) FILTER (WHERE status = 'reserved'), 0)::int AS reserved,
            COALESCE(sum(quantity) FILTER (WHERE status = 'confirmed'), 0)::int AS confirmed,
            COALESCE(sum(restocked) FILTER (WHERE status = 'confirmed'), 0)::int AS restocked,
            COALESCE(sum(quantity) FILTER (WHERE status IN ('released', 'expired')), 0)::int AS released,
            count(*)::int AS rows
       FROM reservations WHERE product_id = ANY($1::uuid[]) GROUP BY order_id`,
    [productIds],
  );
  return new Map(rows.map((r) => [r.order_id, r]));
}

/** Reads the four databases and returns every broken promise, with the rows that show it. */
export async function checkInvariants(dbs: InvariantDatabases, scope: InvariantScope, options: InvariantOptions = {}): Promise<InvariantReport> {
  const opt = { ...DEFAULTS, ...options };
  const violations: Violation[] = [];
  const unsettled: Violation[] = [];
  const add = (invariant: string, subject: string, details: Record<string, unknown>) => violations.push({ invariant, subject, details });
  /** A breach that may still heal on its own while `inFlight`: a violation only once it has had its time. */
  const flag = (inFlight: boolean, invariant: string, subject: string, details: Record<string, unknown>) =>
    (inFlight ? unsettled : violations).push({ invariant, subject, details });
  const productIds = [...new Set(scope.productIds)];

  // ---- inventory: stock rows of the run's products, with their adjustment log and reservations
  const stock = await withClient(dbs.inventory, async (c) => {
    const { rows } = await c.query<StockRow>(
      `SELECT s.id, s.product_id, s.size, s.available, s.reserved, s.sold,
              COALESCE((SELECT sum(delta) FROM stock_adjustments a WHERE a.stock_id = s.id), 0)::int AS put_in,
              COALESCE((SELECT sum(quantity) FROM reservations r WHERE r.stock_id = s.id AND r.status = 'reserved'), 0)::int AS open_reserved,
              -- A confirmed line holds quantity - restocked sold units (inventory.restock gave the rest back).
              COALESCE((SELECT sum(quantity - restocked) FROM reservations r WHERE r.stock_id = s.id AND r.status = 'confirmed'), 0)::int AS confirmed
         FROM stock s WHERE s.product_id = ANY($1::uuid[])`,
      [productIds],
    );
    return { rows, reservations: await reservationsByOrder(c, productIds) };
  });

  for (const s of stock.rows) {
    const subject = `stock:${s.id}`;
    const where = { product_id: s.product_id, size: s.size, available: s.available, reserved: s.reserved, sold: s.sold };
    if (s.available + s.reserved + s.sold !== s.put_in) {
      add('stock conserved (available + reserved + sold = what sellers put in)', subject, { ...where, put_in: s.put_in });
    }
    if (s.available < 0 || s.reserved < 0 || s.sold < 0) add('no negative stock counter', subject, where);
    if (s.reserved !== s.open_reserved) {
      add('reserved equals the sum over open reservations', subject, { ...where, open_reservations: s.open_reserved });
    }
    if (s.sold !== s.confirmed)
      add('sold equals the sum over confirmed reservations', subject, { ...where, confirmed_reservations_less_restocked: s.confirmed });
  }

  // ---- order: every order holding one of the run's products, with its saga
  const orders = await withClient(dbs.order, async (c) => {
    const { rows } = await c.query<OrderRow>(
      `WITH scoped AS (
         SELECT DISTINCT order_id FROM order_items WHERE product_id = ANY($1::text[])
         UNION SELECT unnest($2::uuid[]))
       SELECT o.order_id, o.status, o.total_amount::text, o.payment_expires_at, o.created_at, o.updated_at, o.cancel_reason,
              (SELECT COALESCE(sum(quantity), 0)::int FROM order_items i WHERE i.order_id = o.order_id) AS item_quantity,
              s.state AS saga_state, s.awaiting AS saga_awaiting, s.stuck AS saga_stuck,
              s.step_started_at AS saga_step_started_at, s.last_error AS saga_last_error,
              EXTRACT(EPOCH FROM now() - o.created_at)::float AS age_seconds,
              EXTRACT(EPOCH FROM now() - GREATEST(o.updated_at, COALESCE(s.updated_at, o.updated_at)))::float AS quiet_seconds,
              EXTRACT(EPOCH FROM now() - o.payment_expires_at)::float AS overdue_seconds
         FROM orders o JOIN scoped USING (order_id)
         LEFT JOIN saga_instances s ON s.order_id = o.order_id`,
      [productIds, scope.orderIds ?? []],
    );
    return rows;
  });
  const orderIds = orders.map((o) => o.order_id);
  // Cancellations after payment and returns, and the orders' fulfilments, read after the orders
  // (an adjustment completes in the transaction that cancels its fulfilments and order) and
  // before inventory and payment, whose effects (restock, refund) each step waits for.
  const { adjustments, fulfillments } = await withClient(dbs.order, async (c) => {
    const adjustments = (
      await c.query<AdjustmentRow>(
        `SELECT adjustment_id::text, order_id::text, kind, store_id, status, refund_amount::text, refunded_amount::text, lines, restock, stuck, last_error,
                EXTRACT(EPOCH FROM now() - updated_at)::float AS quiet_seconds
           FROM order_adjustments WHERE order_id = ANY($1::uuid[]) ORDER BY created_at`,
        [orderIds],
      )
    ).rows;
    const fulfillments = (
      await c.query<FulfillmentRow>(
        `SELECT f.order_id::text, f.store_id, f.status::text,
                COALESCE((SELECT array_agg(i.item_id::text) FROM order_items i WHERE i.order_id = f.order_id AND i.store_id = f.store_id), '{}') AS item_ids,
                EXTRACT(EPOCH FROM now() - f.updated_at)::float AS quiet_seconds
           FROM order_fulfillments f WHERE f.order_id = ANY($1::uuid[])`,
        [orderIds],
      )
    ).rows;
    return { adjustments, fulfillments };
  });
  const adjustmentsByOrder = new Map<string, AdjustmentRow[]>();
  for (const a of adjustments) adjustmentsByOrder.set(a.order_id, [...(adjustmentsByOrder.get(a.order_id) ?? []), a]);
  // The four databases are read one after the other while the platform may still be moving, so
  // each implication is judged on reads in its causal order. An order reaches `processing` only
  // after inventory confirmed its stock: the reservations the order checks use are read AFTER the
  // orders (read before them, an order confirmed in between would look paid without its stock).
  // A reservation exists only after its order was recorded: the "unknown order" check uses the
  // reservations read BEFORE the orders.
  const { reservationsAfterOrders, lines, restockIds } = await withClient(dbs.inventory, async (c) => ({
    reservationsAfterOrders: await reservationsByOrder(c, productIds),
    lines: (
      await c.query<ReservationLine>(`SELECT order_id, line_id, status::text, quantity, restocked FROM reservations WHERE order_id = ANY($1::text[])`, [
        orderIds,
      ])
    ).rows,
    restockIds: new Set(
      (await c.query<{ restock_id: string }>(`SELECT restock_id FROM restocks WHERE order_id = ANY($1::text[])`, [orderIds])).rows.map((r) => r.restock_id),
    ),
  }));
  const lineOf = new Map(lines.map((l) => [`${l.order_id}/${l.line_id}`, l]));
  /** Units a line still holds sold: a confirmed line's quantity less what was restocked. */
  const stillSold = (l: ReservationLine | undefined) => (l && l.status === 'confirmed' ? l.quantity - l.restocked : 0);
  const ordersByStatus: Record<string, number> = {};
  const adjustmentsByStatus: Record<string, number> = {};
  for (const a of adjustments) adjustmentsByStatus[`${a.kind}:${a.status}`] = (adjustmentsByStatus[`${a.kind}:${a.status}`] ?? 0) + 1;
  for (const o of orders) ordersByStatus[o.status] = (ordersByStatus[o.status] ?? 0) + 1;

  // ---- payment: every payment of those orders, with attempts and refunds
  const payments = await withClient(dbs.payment, async (c) => {
    const { rows } = await c.query<PaymentRow>(
      `SELECT p.payment_id, p.order_reference, p.status::text, p.amount::text, p.total_amount::text, p.refunded_amount::text,
              p.gateway_transaction_id,
              (SELECT count(*) FROM payment_attempts a WHERE a.payment_id = p.payment_id AND a.status = 'succeeded')::int AS succeeded_attempts,
              (SELECT count(*) FROM payment_attempts a WHERE a.payment_id = p.payment_id AND a.status = 'processing')::int AS processing_attempts,
              (SELECT COALESCE(sum(amount), 0) FROM refunds r WHERE r.payment_id = p.payment_id AND r.status = 'completed')::text AS completed_refunds,
              (SELECT count(*) FROM refunds r WHERE r.payment_id = p.payment_id AND r.status = 'pending')::int AS pending_refunds,
              (SELECT COALESCE(sum(amount), 0) FROM refunds r WHERE r.payment_id = p.payment_id AND r.status = 'pending')::text AS pending_refund_amount,
              (SELECT EXTRACT(EPOCH FROM now() - min(created_at)) FROM refunds r WHERE r.payment_id = p.payment_id AND r.status = 'pending')::float
                AS oldest_pending_refund_seconds,
              (SELECT count(*) FROM duplicate_captures d WHERE d.payment_id = p.payment_id)::int AS duplicate_captures,
              (SELECT count(*) FROM duplicate_captures d WHERE d.payment_id = p.payment_id AND d.status <> 'refunded')::int AS unrefunded_duplicates,
              (SELECT count(*) FROM duplicate_captures d WHERE d.payment_id = p.payment_id AND d.status = 'refund_failed')::int AS failed_duplicate_refunds,
              (SELECT EXTRACT(EPOCH FROM now() - min(detected_at)) FROM duplicate_captures d WHERE d.payment_id = p.payment_id AND d.status = 'refund_pending')::float
                AS oldest_unrefunded_duplicate_seconds,
              EXTRACT(EPOCH FROM now() - p.updated_at)::float AS quiet_seconds
         FROM payments p WHERE p.order_reference = ANY($1::text[])`,
      [orderIds],
    );
    return rows;
  });
  // Refunds by the key an adjustment gave them (payment.refund's refund_key is the adjustment's id).
  const refundsByKey = await withClient(dbs.payment, async (c) => {
    const { rows } = await c.query<{ refund_key: string; completed: string; any_refunds: number }>(
      `SELECT r.refund_key, COALESCE(sum(r.amount) FILTER (WHERE r.status = 'completed'), 0)::text AS completed, count(*)::int AS any_refunds
         FROM refunds r JOIN payments p ON p.payment_id = r.payment_id
        WHERE p.order_reference = ANY($1::text[]) AND r.refund_key IS NOT NULL GROUP BY r.refund_key`,
      [orderIds],
    );
    return new Map(rows.map((r) => [r.refund_key, r]));
  });
  const paymentsByOrder = new Map<string, PaymentRow[]>();
  for (const p of payments) paymentsByOrder.set(p.order_reference, [...(paymentsByOrder.get(p.order_reference) ?? []), p]);

  const captured = (p: PaymentRow) => ['completed', 'partially_refunded', 'refunded'].includes(p.status);
  const settled = (quietSeconds: number) => quietSeconds > opt.settleGraceSeconds;

  for (const o of orders) {
    const subject = `order:${o.order_id}`;
    const base = { status: o.status, cancel_reason: o.cancel_reason, saga_state: o.saga_state, created_at: o.created_at };
    const res = reservationsAfterOrders.get(o.order_id);
    const pays = paymentsByOrder.get(o.order_id) ?? [];
    // A second capture recorded in duplicate_captures is given back automatically (checked below):
    // it is not a charge the order keeps.
    const charges = pays.reduce((n, p) => n + Math.max(0, p.succeeded_attempts - p.duplicate_captures), 0);
    const capturedPays = pays.filter(captured);

    // Every order terminal, or waiting inside its window.
    if (o.status === 'pending') {
      flag(o.age_seconds <= opt.pendingGraceSeconds, 'pending only briefly (stock reserved or rejected)', subject, {
        ...base,
        age_seconds: Math.round(o.age_seconds),
      });
    }
    if (o.status === 'under_paying') {
      if (o.payment_expires_at === null) add('an under_paying order has a payment deadline', subject, base);
      else if ((o.overdue_seconds ?? 0) > 0 || opt.requireTerminal) {
        const overdue = o.overdue_seconds ?? 0;
        // Paid in time and confirming its stock (or being unwound): a step still in flight, which
        // the issue allows a minute to land once faults heal.
        const stepInFlight = o.saga_state === 'confirming' || o.saga_state === 'compensating';
        flag(overdue <= opt.expiryGraceSeconds || (stepInFlight && overdue <= 60), 'under_paying only inside its payment window', subject, {
          ...base,
          payment_expires_at: o.payment_expires_at,
          overdue_seconds: Math.round(o.overdue_seconds ?? 0),
        });
      }
    }

    // Money: at most one successful charge; a paid order is one payment; a dead order charged is refunded.
    if (charges > 1 || capturedPays.length > 1 || new Set(capturedPays.map((p) => p.gateway_transaction_id).filter(Boolean)).size > 1) {
      add('at most one successful charge per order', subject, {
        ...base,
        payments: pays.map((p) => ({ id: p.payment_id, status: p.status, succeeded_attempts: p.succeeded_attempts })),
      });
    }
    for (const p of pays) {
      // A webhook may capture without an attempt of ours (the gateway charged asynchronously):
      // then the gateway's transaction id is the record of the charge.
      if (captured(p) && p.succeeded_attempts === 0 && !p.gateway_transaction_id) {
        add('a captured payment has a gateway charge (a successful attempt or a gateway transaction)', `payment:${p.payment_id}`, {
          order_id: o.order_id,
          status: p.status,
        });
      }
      if (p.succeeded_attempts > 0 && !captured(p)) {
        add('a successful gateway charge is recorded as captured', `payment:${p.payment_id}`, { order_id: o.order_id, status: p.status });
      }
      if (captured(p) && cents(p.amount) !== cents(o.total_amount)) {
        add('the amount charged is the order total', `payment:${p.payment_id}`, { order_id: o.order_id, amount: p.amount, order_total: o.total_amount });
      }
      if (p.status === 'processing' || p.processing_attempts > 0) {
        // A charge cut short by a crash waits for payment's stale-processing sweep: twice the grace.
        flag(p.quiet_seconds <= opt.settleGraceSeconds * 2, 'no charge left in flight', `payment:${p.payment_id}`, {
          order_id: o.order_id,
          status: p.status,
          processing_attempts: p.processing_attempts,
        });
      }
      if (p.pending_refunds > 0) {
        // An unknown outcome stays pending until the gateway's records settle it (reconciled).
        flag(
          (p.oldest_pending_refund_seconds ?? 0) <= opt.settleGraceSeconds * 4,
          'every refund settled or reconciled (none left pending)',
          `payment:${p.payment_id}`,
          { order_id: o.order_id, pending_refunds: p.pending_refunds },
        );
      }
      // What is refunded or reserved for a refund never exceeds what the buyer paid, and the
      // payment's running total (kept under its row lock) is exactly its refunds.
      const refundedOrReserved = cents(p.completed_refunds) + cents(p.pending_refund_amount);
      if (refundedOrReserved > cents(p.total_amount)) {
        add('refunds never exceed what was captured', `payment:${p.payment_id}`, {
          order_id: o.order_id,
          total_amount: p.total_amount,
          completed: p.completed_refunds,
          pending: p.pending_refund_amount,
        });
      }
      if (refundedOrReserved !== cents(p.refunded_amount)) {
        add("a payment's refunded_amount is the sum of its completed and pending refunds", `payment:${p.payment_id}`, {
          order_id: o.order_id,
          refunded_amount: p.refunded_amount,
          completed: p.completed_refunds,
          pending: p.pending_refund_amount,
        });
      }
      // No payment captured twice: every second capture is refunded (a refusal needs an operator).
      if (p.failed_duplicate_refunds > 0) {
        add('no payment captured twice (every duplicate capture is refunded)', `payment:${p.payment_id}`, {
          order_id: o.order_id,
          refund_failed: p.failed_duplicate_refunds,
        });
      } else if (p.unrefunded_duplicates > 0) {
        flag(
          (p.oldest_unrefunded_duplicate_seconds ?? 0) <= opt.settleGraceSeconds * 4,
          'no payment captured twice (every duplicate capture is refunded)',
          `payment:${p.payment_id}`,
          {
            order_id: o.order_id,
            unrefunded: p.unrefunded_duplicates,
          },
        );
      }
    }

    const adjs = adjustmentsByOrder.get(o.order_id) ?? [];
    // An adjustment between its request and its end may have moved money or units the rows read
    // before it do not show yet.
    const adjInFlight = adjs.some((a) => ['refunding', 'restocking'].includes(a.status) && !a.stuck);
    const adjRefunded = adjs.reduce((n, a) => n + (a.refunded_amount === null ? 0 : cents(a.refunded_amount)), 0);

    if (['processing', 'shipped', 'delivered'].includes(o.status)) {
      if (capturedPays.length === 0) add('a paid order has a captured payment', subject, { ...base, payments: pays.map((p) => p.status) });
      if (adjRefunded === 0 && !adjInFlight) {
        if (capturedPays.some((p) => p.status !== 'completed')) {
          add('a paid order keeps its money', subject, {
            ...base,
            payments: capturedPays.map((p) => ({ id: p.payment_id, status: p.status, refunded: p.refunded_amount })),
          });
        }
      } else {
        // A store's part cancelled or lines returned: the payment gave back exactly what those
        // adjustments record, nothing more (no refund of its own), nothing less.
        for (const p of capturedPays) {
          if (cents(p.completed_refunds) !== adjRefunded) {
            flag(adjInFlight, 'a paid order keeps its money less what its cancellations and returns refunded', subject, {
              ...base,
              payment_id: p.payment_id,
              refunded: p.completed_refunds,
              adjustments_refunded: (adjRefunded / 100).toFixed(2),
            });
          }
        }
      }
      if (!res || res.confirmed !== o.item_quantity || res.reserved > 0) {
        add('no paid order without confirmed stock', subject, { ...base, items: o.item_quantity, reservations: res ?? null });
      }
    }

    if (o.status === 'cancelled') {
      if (res && res.confirmed - res.restocked > 0) add('a cancelled order holds no sold stock', subject, { ...base, reservations: res });
      if (res && res.reserved > 0) flag(!settled(o.quiet_seconds), 'a cancelled order holds no reserved stock', subject, { ...base, reservations: res });
      for (const p of capturedPays) {
        // Everything the buyer paid, fee included: the platform cancelled the order.
        if (cents(p.completed_refunds) < cents(p.total_amount)) {
          flag(!settled(o.quiet_seconds), 'every cancelled order that was charged is refunded', subject, {
            ...base,
            payment_id: p.payment_id,
            payment_status: p.status,
            charged: p.total_amount,
            refunded: p.completed_refunds,
            pending_refunds: p.pending_refunds,
          });
        }
      }
      for (const p of pays) {
        if (['pending', 'failed'].includes(p.status)) {
          flag(!settled(Math.min(o.quiet_seconds, p.quiet_seconds)), 'a cancelled order leaves no chargeable payment (voided)', `payment:${p.payment_id}`, {
            order_id: o.order_id,
            status: p.status,
          });
        }
      }
    }

    // Cancellations after payment and returns (order_adjustments). `completed` and `rejected` are
    // final. A `requested` return waits for its store's seller, a person with no deadline the
    // platform sets: it is a resting state, not one in flight, so it is not waited for; what is
    // checked is that it (like a rejected one) has moved no money and no units. `refunding` and
    // `restocking` are steps in flight: a stuck one (a refusal an operator must look at) is broken
    // at once, any other must end within the settle time (re-sends included).
    for (const a of adjs) {
      const where = { order_id: o.order_id, kind: a.kind, store_id: a.store_id, status: a.status };
      const refunds = refundsByKey.get(a.adjustment_id);
      if (['refunding', 'restocking'].includes(a.status)) {
        const details = { ...where, stuck: a.stuck, last_error: a.last_error, quiet_seconds: Math.round(a.quiet_seconds) };
        if (a.stuck) add('every cancellation and return reaches a final state (completed or rejected)', `adjustment:${a.adjustment_id}`, details);
        else
          flag(
            a.quiet_seconds <= opt.settleGraceSeconds * 4,
            'every cancellation and return reaches a final state (completed or rejected)',
            `adjustment:${a.adjustment_id}`,
            details,
          );
      }
      if (['requested', 'rejected'].includes(a.status) && (refunds || a.refunded_amount !== null || restockIds.has(a.adjustment_id))) {
        add('a return not approved moves no money and no units', `adjustment:${a.adjustment_id}`, {
          ...where,
          refunded_amount: a.refunded_amount,
          refunds: refunds ?? null,
          restocked: restockIds.has(a.adjustment_id),
        });
      }
      if (a.status === 'completed') {
        const refunded = a.refunded_amount === null ? null : cents(a.refunded_amount);
        if (refunded === null || cents(refunds?.completed ?? '0') !== refunded || (a.refund_amount !== null && refunded > cents(a.refund_amount))) {
          add('a completed cancellation or return was refunded what it records (at most what it asked)', `adjustment:${a.adjustment_id}`, {
            ...where,
            refund_amount: a.refund_amount,
            refunded_amount: a.refunded_amount,
            payment_refunds_with_its_key: refunds?.completed ?? null,
          });
        }
        if (a.restock && a.lines.length > 0) {
          // Its units are back: the restock was applied (once, under its id) and each line it
          // names counts at least what it asked as restocked (never more than the line holds).
          const short = a.lines.filter((l) => {
            const r = lineOf.get(`${o.order_id}/${l.line_id}`);
            return !r || r.restocked < Math.min(l.quantity, r.quantity);
          });
          if (!restockIds.has(a.adjustment_id) || short.length > 0) {
            add('a completed cancellation or return that restocks gave its units back', `adjustment:${a.adjustment_id}`, {
              ...where,
              restock_applied: restockIds.has(a.adjustment_id),
              short_lines: short.map((l) => ({ ...l, reservation: lineOf.get(`${o.order_id}/${l.line_id}`) ?? null })),
            });
          }
        }
      }
    }
    // No units given back that no cancellation or return asked for.
    for (const l of lines) {
      if (l.order_id !== o.order_id || l.status !== 'confirmed' || l.restocked === 0) continue;
      const asked = adjs
        .filter((a) => a.restock && ['restocking', 'completed'].includes(a.status))
        .reduce((n, a) => n + a.lines.filter((x) => x.line_id === l.line_id).reduce((m, x) => m + x.quantity, 0), 0);
      if (l.restocked > asked) {
        flag(adjInFlight, 'no units restocked beyond what cancellations and returns asked', subject, { ...base, line: l, asked });
      }
    }
    // A cancelled fulfilment holds no sold units. After payment it is cancelled only once its
    // restock is done; before payment the release follows the cancellation: judged once settled.
    for (const f of fulfillments) {
      if (f.order_id !== o.order_id || f.status !== 'cancelled') continue;
      const sold = f.item_ids.map((id) => ({ line_id: id, still_sold: stillSold(lineOf.get(`${o.order_id}/${id}`)) })).filter((x) => x.still_sold > 0);
      if (sold.length > 0) {
        flag(!settled(f.quiet_seconds) || adjInFlight, "a cancelled fulfilment's units are back (none of its lines still sold)", subject, {
          ...base,
          store_id: f.store_id,
          lines: sold,
        });
      }
    }

    // The saga: present, not stuck, no command left unanswered once the order is finished.
    if (o.saga_state === null) add('every order has its saga', subject, base);
    else {
      if (o.saga_stuck) add('no saga stuck', subject, { ...base, last_error: o.saga_last_error, awaiting: o.saga_awaiting });
      const finished = ['processing', 'shipped', 'delivered', 'cancelled'].includes(o.status);
      if (finished && (!['done', 'compensated'].includes(o.saga_state) || (o.saga_awaiting ?? []).length > 0)) {
        flag(!settled(o.quiet_seconds), 'every saga command answered', subject, {
          ...base,
          awaiting: o.saga_awaiting,
          last_error: o.saga_last_error,
          quiet_seconds: Math.round(o.quiet_seconds),
        });
      }
    }
  }

  // Reservations of orders the order service never recorded (a reserve with no order).
  const known = new Set(orderIds);
  for (const [orderId, r] of stock.reservations) {
    if (!known.has(orderId) && r.reserved + r.confirmed > 0) add('no stock held for an unknown order', `order:${orderId}`, { reservations: r });
  }

  // ---- outbox: every message about the run's orders and products published.
  const keys = [...orderIds, ...productIds];
  let outboxRows = 0;
  for (const [db, url] of Object.entries(dbs)) {
    await withClient(url, async (c) => {
      const { rows } = await c.query<{ id: string; type: string; key: string; age: number; published: boolean }>(
        `SELECT id::text, type, key, EXTRACT(EPOCH FROM now() - created_at)::float AS age, published_at IS NOT NULL AS published
           FROM outbox WHERE key = ANY($1::text[])`,
        [keys],
      );
      outboxRows += rows.length;
      for (const r of rows) {
        if (!r.published) {
          flag(r.age <= opt.settleGraceSeconds, 'no outbox row left unpublished', `outbox:${db}:${r.id}`, {
            type: r.type,
            key: r.key,
            age_seconds: Math.round(r.age),
          });
        }
      }
    });
  }

  return {
    violations,
    unsettled,
    counts: {
      products: productIds.length,
      stockRows: stock.rows.length,
      orders: orders.length,
      ordersByStatus,
      payments: payments.length,
      succeededCharges: payments.reduce((n, p) => n + p.succeeded_attempts, 0),
      refunds: payments.filter((p) => cents(p.completed_refunds) > 0).length,
      adjustmentsByStatus,
      outboxRows,
    },
  };
}

/**
 * Runs the checker until nothing is in flight any more (or a violation shows, or the time is up:
 * then what is still in flight counts as broken); returns the last report.
 */
export async function settleAndCheck(
  dbs: InvariantDatabases,
  scope: InvariantScope,
  { timeoutMs = 60_000, intervalMs = 2_000, ...options }: InvariantOptions & { timeoutMs?: number; intervalMs?: number } = {},
): Promise<InvariantReport & { settledAfterMs: number }> {
  const started = Date.now();
  for (;;) {
    const report = await checkInvariants(dbs, scope, options);
    const elapsed = Date.now() - started;
    if (report.violations.length > 0 || report.unsettled.length === 0) return { ...report, settledAfterMs: elapsed };
    // Out of time: whatever is still in flight has had more than its grace; judge it now.
    if (elapsed > timeoutMs) return { ...report, violations: report.unsettled, unsettled: [], settledAfterMs: elapsed };
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** One line per broken invariant (grouped), then the first few rows of each as evidence. */
export function formatReport(report: InvariantReport, examplesPerInvariant = 3): string {
  const lines = [
    `checked ${report.counts.orders} orders ${JSON.stringify(report.counts.ordersByStatus)}, ${report.counts.stockRows} stock rows, ${report.counts.payments} payments (${report.counts.succeededCharges} charges, ${report.counts.refunds} refunded), ` +
      `adjustments ${JSON.stringify(report.counts.adjustmentsByStatus)}, ${report.counts.outboxRows} outbox rows`,
  ];
  if (report.unsettled.length > 0) lines.push(`still in flight (not judged yet): ${report.unsettled.length}`);
  if (report.violations.length === 0) {
    lines.push('verdict: OK, no invariant broken');
    return lines.join('\n');
  }
  const groups = new Map<string, Violation[]>();
  for (const v of report.violations) groups.set(v.invariant, [...(groups.get(v.invariant) ?? []), v]);
  lines.push(`verdict: ${report.violations.length} VIOLATION(S)`);
  for (const [invariant, vs] of groups) {
    lines.push(`  ✗ ${invariant}: ${vs.length}`);
    for (const v of vs.slice(0, examplesPerInvariant)) lines.push(`      ${v.subject} ${JSON.stringify(v.details)}`);
  }
  return lines.join('\n');
}
