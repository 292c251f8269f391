// Checkout attempts keyed by (user, Idempotency-Key). The row records the lines sent to order
// before the call, so a retry re-sends exactly them (order is idempotent by key too) even after
// the cart has changed, and the settled response, so a retry answers the same thing.
// Named SQL constants through the cart's one runner (why raw SQL: infra/cart-store.ts); the
// settle takes the buyer's row locks in the order the other writers take them.
import type { OrderLine } from '../app/ports';
import { money } from '@sudamall/shared';
import { cartVersion, derivedCheckoutKey, isDerivedKey } from '../domain/cart-version';
import { checkoutTransitions, NEW_CHECKOUT_STATUS, type CheckoutStatus } from '../domain/checkout-status';
import type { Sql, SqlTx } from '@sudamall/shared';

export type CheckoutKind = 'full' | 'single';
export type { CheckoutStatus };

export interface StoredResponse {
  statusCode: number;
  body: unknown;
}

export interface CheckoutRecord {
  id: string;
  userId: string;
  idempotencyKey: string;
  kind: CheckoutKind;
  fingerprint: string;
  lines: OrderLine[];
  orderId: string | null;
  status: CheckoutStatus;
  response: StoredResponse | null;
}

interface CheckoutRow {
  id: string;
  user_id: string;
  idempotency_key: string;
  kind: string;
  fingerprint: string;
  lines: unknown;
  order_id: string | null;
  status: string;
  response: unknown;
}

const COLUMNS = 'id, user_id, idempotency_key, kind, fingerprint, lines, order_id, status, response';

function parseJson<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

function toRecord(r: CheckoutRow): CheckoutRecord {
  return {
    id: r.id,
    userId: r.user_id,
    idempotencyKey: r.idempotency_key,
    kind: r.kind as CheckoutKind,
    fingerprint: r.fingerprint,
    lines: parseJson<OrderLine[]>(r.lines),
    orderId: r.order_id,
    status: r.status as CheckoutStatus,
    response: r.response == null ? null : parseJson<StoredResponse>(r.response),
  };
}

// Statuses are the table's own words (domain/checkout-status.ts), written into the text so each
// statement stays one prepared statement: a settle's WHERE is the states the table lets move to
// its target, so the SQL and the table cannot drift apart.
const PENDING = `'${NEW_CHECKOUT_STATUS}'`;
const settle = (to: CheckoutStatus) => ({
  to: `'${to}'`,
  from: checkoutTransitions
    .sourcesOf(to)
    .map((s) => `'${s}'`)
    .join(', '),
});
const COMPLETE = settle('completed');
const REJECT = settle('rejected');
// The settled answer's second key (the version the cart is left at) is born as the first key
// settled: pending → completed at once.
const SETTLED_UNDER_SECOND_KEY = `'${checkoutTransitions.transition(NEW_CHECKOUT_STATUS, 'completed')}'`;

const SELECT_BY_KEY = `SELECT ${COLUMNS} FROM checkouts WHERE user_id = $1 AND idempotency_key = $2`;
const BEGIN_CHECKOUT = `INSERT INTO checkouts (id, user_id, idempotency_key, kind, fingerprint, lines, status, updated_at)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5::jsonb, ${PENDING}, now())
       ON CONFLICT (user_id, idempotency_key) DO NOTHING
       RETURNING ${COLUMNS}`;
const SET_ORDER = `UPDATE checkouts SET order_id = $2, response = $3::jsonb, updated_at = now() WHERE id = $1::uuid AND status = ${PENDING}`;
const COMPLETE_CHECKOUT = `UPDATE checkouts SET status = ${COMPLETE.to}, order_id = $2, response = $3::jsonb, updated_at = now()
         WHERE id = $1::uuid AND status IN (${COMPLETE.from})`;
const LOCK_USER_ITEMS = `SELECT i.id FROM cart_items i JOIN carts c ON c.id = i.cart_id WHERE c.user_id = $1 ORDER BY i.id FOR UPDATE OF i`;
const REMOVE_ORDERED_LINE = `DELETE FROM cart_items i USING carts c
             WHERE c.id = i.cart_id AND c.user_id = $1 AND i.product_id = $2 AND i.size = $3 AND i.quantity <= $4`;
const REDUCE_ORDERED_LINE = `UPDATE cart_items i SET quantity = i.quantity - $4, updated_at = now() FROM carts c
             WHERE c.id = i.cart_id AND c.user_id = $1 AND i.product_id = $2 AND i.size = $3 AND i.quantity > $4`;
const SELECT_ITEMS_LEFT = `SELECT i.id, i.size, i.quantity, i.current_price, i.updated_at FROM cart_items i JOIN carts c ON c.id = i.cart_id WHERE c.user_id = $1`;
const KEY_BY_VERSION_LEFT = `INSERT INTO checkouts (id, user_id, idempotency_key, kind, fingerprint, lines, order_id, status, response, updated_at)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5::jsonb, $6, ${SETTLED_UNDER_SECOND_KEY}, $7::jsonb, now())
       ON CONFLICT (user_id, idempotency_key) DO UPDATE
         SET order_id = EXCLUDED.order_id, lines = EXCLUDED.lines, response = EXCLUDED.response, updated_at = now()
         WHERE checkouts.status = ${SETTLED_UNDER_SECOND_KEY}`;
const REJECT_CHECKOUT = `UPDATE checkouts SET status = ${REJECT.to}, order_id = $2, response = $3::jsonb, updated_at = now()
       WHERE id = $1::uuid AND status IN (${REJECT.from})`;
const SELECT_PENDING_FOR_ORDER = `SELECT ${COLUMNS} FROM checkouts WHERE order_id = $1 AND status = ${PENDING}`;

export class CheckoutStore {
  constructor(private readonly db: Sql) {}

  async find(userId: string, key: string): Promise<CheckoutRecord | null> {
    const rows = await this.db.query<CheckoutRow>(SELECT_BY_KEY, [userId, key]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Records a new attempt, or returns the one already recorded under this key. */
  async begin(input: {
    userId: string;
    key: string;
    kind: CheckoutKind;
    fingerprint: string;
    lines: OrderLine[];
  }): Promise<{ record: CheckoutRecord; created: boolean }> {
    const rows = await this.db.query<CheckoutRow>(BEGIN_CHECKOUT, [input.userId, input.key, input.kind, input.fingerprint, JSON.stringify(input.lines)]);
    if (rows[0]) return { record: toRecord(rows[0]), created: true };
    const existing = await this.find(input.userId, input.key);
    if (!existing) throw new Error('checkout row vanished between insert and read');
    return { record: existing, created: false };
  }

  async setOrder(id: string, orderId: string, pendingResponse: StoredResponse): Promise<void> {
    await this.db.execute(SET_ORDER, [id, orderId, JSON.stringify(pendingResponse)]);
  }

  /**
   * Settles a pending attempt as accepted and takes the ordered quantities out of the buyer's
   * cart, in one transaction. Only the first caller settles it (concurrent retries of one key
   * remove the items once); returns false when it was already settled.
   */
  async complete(record: CheckoutRecord, orderId: string, response: StoredResponse, removeFromCart: boolean): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const n = await tx.execute(COMPLETE_CHECKOUT, [record.id, orderId, JSON.stringify(response)]);
      if (n === 0) return false;
      if (removeFromCart) {
        // Lock the buyer's items in id order first, the order validation and the catalogue
        // sync lock them in, so this transaction never deadlocks with theirs.
        await tx.query(LOCK_USER_ITEMS, [record.userId]);
        for (const line of record.lines) {
          // The buyer may have added more of the line since; only the ordered quantity leaves.
          await tx.execute(REMOVE_ORDERED_LINE, [record.userId, line.productId, line.size, line.quantity]);
          await tx.execute(REDUCE_ORDERED_LINE, [record.userId, line.productId, line.size, line.quantity]);
        }
        if (isDerivedKey(record.idempotencyKey)) await this.keyByVersionLeft(tx, record, orderId, response);
      }
      return true;
    });
  }

  /**
   * A checkout sent without a key is found by the cart's version; once its lines left the cart,
   * the version the cart is left at becomes a second key of the settled answer, so the same
   * request retried after the cart was emptied answers the same order (the newest such
   * checkout, when a later one leaves the cart in the same state, e.g. empty again).
   */
  private async keyByVersionLeft(tx: SqlTx, record: CheckoutRecord, orderId: string, response: StoredResponse): Promise<void> {
    const left = await tx.query<{ id: string; size: string; quantity: number; current_price: unknown; updated_at: Date }>(SELECT_ITEMS_LEFT, [record.userId]);
    const version = cartVersion(
      left.map((r) => ({ id: r.id, size: r.size, quantity: Number(r.quantity), currentPrice: money(String(r.current_price)), updatedAt: r.updated_at })),
    );
    await tx.execute(KEY_BY_VERSION_LEFT, [
      record.userId,
      derivedCheckoutKey(version, record.fingerprint),
      record.kind,
      record.fingerprint,
      JSON.stringify(record.lines),
      orderId,
      JSON.stringify(response),
    ]);
  }

  async reject(record: CheckoutRecord, orderId: string, response: StoredResponse): Promise<void> {
    await this.db.execute(REJECT_CHECKOUT, [record.id, orderId, JSON.stringify(response)]);
  }

  /** The pending attempt waiting for this order, if any (the order.events consumer settles it). */
  async pendingForOrder(orderId: string): Promise<CheckoutRecord | null> {
    const rows = await this.db.query<CheckoutRow>(SELECT_PENDING_FOR_ORDER, [orderId]);
    return rows[0] ? toRecord(rows[0]) : null;
  }
}
