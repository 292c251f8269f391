// PostgreSQL access for carts, items and recorded changes. Hot paths (add, read) are single
// statements: the add is one upsert that raises the quantity atomically and refuses to pass the
// available stock, so concurrent adds never lose an update and never overfill.
//
// Raw SQL by measurement (docs/architecture.md, "Data access"): every statement below is a named
// constant run through the shared runner over node-postgres (createSql, named prepared
// statements). Prisma owns the schema and its migrations (prisma/), but at run time its
// raw-query path costs 2.5-3x the latency of node-postgres for the same statements on this
// machine (measured: the cart read statement at 32 concurrent callers, pool 10: ~1,250-1,600/s
// with pg, ~430-610/s through Prisma), and the read and the add are the shop's hottest paths.
import { money, type Decimal } from '@sudamall/shared';
import type { CartChange, ItemOutcome, ItemState, StockCaps } from '../domain/reconcile';
import type { Sql, SqlRunner, SqlTx } from '@sudamall/shared';

export interface CartItemRecord extends ItemState {
  cartId: string;
  priceWhenAdded: Decimal;
  createdAt: Date;
  /** Moves on every change the buyer sees (quantity, price, name); part of the cart's version. */
  updatedAt: Date;
}

export interface RecordedChange {
  id: string;
  kind: string;
  reason: string;
  itemId: string | null;
  productId: string;
  productName: string;
  size: string;
  oldValue: string | null;
  newValue: string | null;
  createdAt: Date;
}

interface ItemRow {
  id: string;
  cart_id: string;
  product_id: string;
  product_name: string;
  size: string;
  quantity: number;
  price_when_added: unknown;
  current_price: unknown;
  created_at: Date;
  updated_at: Date;
}

interface ChangeRow {
  id: bigint | number | string;
  kind: string;
  reason: string;
  item_id: string | null;
  product_id: string;
  product_name: string;
  size: string;
  old_value: string | null;
  new_value: string | null;
  created_at: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids from URLs that are not UUIDs cannot match a row; answering "not found" beats a cast error. */
export const isUuid = (s: string): boolean => UUID.test(s);

const ITEM_COLUMNS = 'i.id, i.cart_id, i.product_id, i.product_name, i.size, i.quantity, i.price_when_added, i.current_price, i.created_at, i.updated_at';

function toItem(r: ItemRow): CartItemRecord {
  return {
    id: r.id,
    cartId: r.cart_id,
    productId: r.product_id,
    productName: r.product_name,
    size: r.size,
    quantity: Number(r.quantity),
    priceWhenAdded: money(String(r.price_when_added)),
    currentPrice: money(String(r.current_price)),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function parseJsonColumn<T>(v: unknown): T {
  if (v == null) return [] as unknown as T;
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

function toChange(r: ChangeRow): RecordedChange {
  return {
    id: String(r.id),
    kind: r.kind,
    reason: r.reason,
    itemId: r.item_id,
    productId: r.product_id,
    productName: r.product_name,
    size: r.size,
    oldValue: r.old_value,
    newValue: r.new_value,
    createdAt: r.created_at,
  };
}

export interface AddItemInput {
  userId: string;
  productId: string;
  productName: string;
  size: string;
  quantity: number;
  price: Decimal;
  /** The line's total may not pass this (the available stock). */
  maxTotal: number;
  /** When price and stock were read from inventory (taken before the lookup started). */
  checkedAt: Date;
}

export type AddItemResult = { ok: true; item: CartItemRecord; created: boolean } | { ok: false; inCart: number };

/** A buyer's items ($1 = user id) as one JSON array, in cart order. */
const ITEMS_JSON_SQL = `(SELECT COALESCE(json_agg(json_build_object(
    'id', i.id, 'cart_id', i.cart_id, 'product_id', i.product_id, 'product_name', i.product_name,
    'size', i.size, 'quantity', i.quantity, 'price_when_added', i.price_when_added::text,
    'current_price', i.current_price::text, 'created_at', i.created_at, 'updated_at', i.updated_at) ORDER BY i.created_at, i.id), '[]'::json)
  FROM cart_items i JOIN carts c ON c.id = i.cart_id WHERE c.user_id = $1)`;

function parseItemsJson(value: unknown): CartItemRecord[] {
  const items = parseJsonColumn<Array<Omit<ItemRow, 'created_at' | 'updated_at'> & { created_at: string; updated_at: string }>>(value);
  return items.map((r) => toItem({ ...r, created_at: new Date(r.created_at), updated_at: new Date(r.updated_at) }));
}

/** `rows` recorded changes of 9 values each; `seen` marks them shown already. */
const INSERT_CHANGES = (rows: number, seen: boolean) =>
  `INSERT INTO cart_changes (cart_id, kind, item_id, product_id, product_name, size, old_value, new_value, reason, seen_at)
         VALUES ${Array.from({ length: rows }, (_, k) => {
           const b = k * 9;
           return `($${b + 1}::uuid, $${b + 2}, $${b + 3}::uuid, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8}, $${b + 9}, ${seen ? 'now()' : 'NULL'})`;
         }).join(', ')}`;
const SELECT_ITEMS = `SELECT ${ITEM_COLUMNS} FROM cart_items i JOIN carts c ON c.id = i.cart_id
       WHERE c.user_id = $1 ORDER BY i.created_at, i.id`;
/**
 * A buyer's items, one row each in cart order, each row saying whether a change waits unseen
 * (a cart without items: one row of NULL item columns; no cart: no row). Plain rows rather than
 * one JSON array: the database builds no JSON and the cart is found once (measured: ~120 µs of
 * PostgreSQL CPU per read instead of ~180 µs).
 */
const READ_ITEMS_AND_PENDING = `SELECT p.pending, ${ITEM_COLUMNS} FROM carts c
       CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM cart_changes ch WHERE ch.cart_id = c.id AND ch.seen_at IS NULL) AS pending) p
       LEFT JOIN cart_items i ON i.cart_id = c.id
       WHERE c.user_id = $1 ORDER BY i.created_at, i.id`;
const TAKE_CHANGES_WITH_ITEMS = `WITH ch AS (
         UPDATE cart_changes c SET seen_at = now() FROM carts ct
         WHERE ct.id = c.cart_id AND ct.user_id = $1 AND c.seen_at IS NULL
         RETURNING c.id, c.kind, c.reason, c.item_id, c.product_id, c.product_name, c.size, c.old_value, c.new_value, c.created_at
       )
       SELECT ${ITEMS_JSON_SQL} AS items,
         (SELECT COALESCE(json_agg(json_build_object(
             'id', ch.id::text, 'kind', ch.kind, 'reason', ch.reason, 'item_id', ch.item_id, 'product_id', ch.product_id,
             'product_name', ch.product_name, 'size', ch.size, 'old_value', ch.old_value, 'new_value', ch.new_value,
             'created_at', ch.created_at) ORDER BY ch.id), '[]'::json)
          FROM ch) AS changes`;
const SELECT_ITEM = `SELECT ${ITEM_COLUMNS} FROM cart_items i JOIN carts c ON c.id = i.cart_id
       WHERE c.user_id = $1 AND i.id = $2::uuid`;
const COUNT_ITEMS = `SELECT COALESCE(SUM(i.quantity), 0)::int AS n FROM cart_items i JOIN carts c ON c.id = i.cart_id WHERE c.user_id = $1`;
const SELECT_UNSEEN_PRICE_CHANGES = `SELECT ch.id, ch.kind, ch.reason, ch.item_id, ch.product_id, ch.product_name, ch.size, ch.old_value, ch.new_value, ch.created_at
       FROM cart_changes ch JOIN carts c ON c.id = ch.cart_id
       WHERE c.user_id = $1 AND ch.seen_at IS NULL AND ch.kind = 'price_changed' ORDER BY ch.id`;
const SELECT_UNSEEN_CHANGES = `SELECT ch.id, ch.kind, ch.reason, ch.item_id, ch.product_id, ch.product_name, ch.size, ch.old_value, ch.new_value, ch.created_at
       FROM cart_changes ch JOIN carts c ON c.id = ch.cart_id
       WHERE c.user_id = $1 AND ch.seen_at IS NULL ORDER BY ch.id`;
const TAKE_UNSEEN_CHANGES = `UPDATE cart_changes ch SET seen_at = now() FROM carts c
       WHERE c.id = ch.cart_id AND c.user_id = $1 AND ch.seen_at IS NULL
       RETURNING ch.id, ch.kind, ch.reason, ch.item_id, ch.product_id, ch.product_name, ch.size, ch.old_value, ch.new_value, ch.created_at`;
const ADD_ITEM = `WITH c AS (
         INSERT INTO carts (id, user_id) VALUES (gen_random_uuid(), $1)
         ON CONFLICT (user_id) DO UPDATE SET updated_at = now()
         RETURNING id
       )
       INSERT INTO cart_items AS i (id, cart_id, product_id, product_name, size, quantity, price_when_added, current_price, synced_at, updated_at)
       SELECT gen_random_uuid(), c.id, $2, $3, $4, $5, $6::numeric, $6::numeric, $8, now() FROM c
       ON CONFLICT (cart_id, product_id, size) DO UPDATE
         SET quantity = i.quantity + EXCLUDED.quantity,
             -- A catalogue event applied since this lookup knows a newer price: keep it.
             product_name = CASE WHEN EXCLUDED.synced_at >= i.synced_at THEN EXCLUDED.product_name ELSE i.product_name END,
             current_price = CASE WHEN EXCLUDED.synced_at >= i.synced_at THEN EXCLUDED.current_price ELSE i.current_price END,
             synced_at = GREATEST(i.synced_at, EXCLUDED.synced_at),
             updated_at = now()
         WHERE i.quantity + EXCLUDED.quantity <= $7
       RETURNING ${ITEM_COLUMNS}, (xmax = 0) AS created`;
const SELECT_LINE_QUANTITY = `SELECT i.quantity FROM cart_items i JOIN carts c ON c.id = i.cart_id
       WHERE c.user_id = $1 AND i.product_id = $2 AND i.size = $3`;
const SET_QUANTITY = `UPDATE cart_items i SET quantity = $3,
         current_price = CASE WHEN $6 >= i.synced_at THEN $4::numeric ELSE i.current_price END,
         product_name = CASE WHEN $6 >= i.synced_at THEN $5 ELSE i.product_name END,
         synced_at = GREATEST(i.synced_at, $6), updated_at = now()
       FROM carts c WHERE c.id = i.cart_id AND c.user_id = $1 AND i.id = $2::uuid
       RETURNING ${ITEM_COLUMNS}`;
const REMOVE_ITEM = `DELETE FROM cart_items i USING carts c WHERE c.id = i.cart_id AND c.user_id = $1 AND i.id = $2::uuid`;
const CLEAR_CART = `DELETE FROM cart_items i USING carts c WHERE c.id = i.cart_id AND c.user_id = $1`;
const DELETE_ITEM = `DELETE FROM cart_items WHERE id = $1::uuid`;
const UPDATE_ITEM = `UPDATE cart_items SET quantity = $2, current_price = $3::numeric, product_name = $4, updated_at = now(),
           synced_at = GREATEST(synced_at, COALESCE($5, synced_at)) WHERE id = $1::uuid`;
const TOUCH_ITEM = `UPDATE cart_items SET synced_at = GREATEST(synced_at, $2) WHERE id = $1::uuid`;
const LOCK_PRODUCT_ITEMS_NOT_SYNCED_AFTER = `SELECT ${ITEM_COLUMNS} FROM cart_items i WHERE i.product_id = $1 AND i.synced_at <= $2 ORDER BY i.id FOR UPDATE`;
const LOCK_PRODUCT_ITEMS = `SELECT ${ITEM_COLUMNS} FROM cart_items i WHERE i.product_id = $1 ORDER BY i.id FOR UPDATE`;
// The lines of a product above their size's cap ($3 sizes, $4 quantities; a size not listed holds
// none), not synced after $2: the only lines a stock movement changes (stockCaps). The others are
// neither locked nor read, however many carts hold the product: through the (product_id, size,
// quantity) index, the sizes the product's lines hold are found one probe each (a loose index
// scan: the next size after the last), then each size's lines above its cap are one range of the
// index, empty while stock lasts. OFFSET 0 keeps that range a scan per size: flattened, the
// planner joins every line of the product to the caps instead.
const SIZE_CAPS = `RECURSIVE held(size) AS (
         (SELECT i.size FROM cart_items i WHERE i.product_id = $1 ORDER BY i.size LIMIT 1)
         UNION ALL
         SELECT (SELECT i.size FROM cart_items i WHERE i.product_id = $1 AND i.size > h.size ORDER BY i.size LIMIT 1)
           FROM held h WHERE h.size IS NOT NULL
       ),
       caps AS (
         SELECT h.size, coalesce(s.available, 0) AS cap
           FROM held h LEFT JOIN unnest($3::text[], $4::int[]) AS s(size, available) ON s.size = h.size
          WHERE h.size IS NOT NULL
       )`;
const ITEMS_BEYOND_CAPS = `FROM caps c CROSS JOIN LATERAL (
         SELECT i.id FROM cart_items i
          WHERE i.product_id = $1 AND i.size = c.size AND i.quantity > c.cap AND ($2::timestamptz IS NULL OR i.synced_at <= $2)
         OFFSET 0
       ) b`;
// Locked in id order (like every lock of cart lines, so two never deadlock), by primary key.
const LOCK_PRODUCT_ITEMS_BEYOND_CAPS = `WITH ${SIZE_CAPS}, beyond AS (SELECT b.id ${ITEMS_BEYOND_CAPS})
       SELECT ${ITEM_COLUMNS} FROM cart_items i WHERE i.id = ANY(ARRAY(SELECT id FROM beyond)) ORDER BY i.id FOR UPDATE OF i`;
// A stock movement that leaves every line within its cap (while stock lasts, all of them) is
// handled by writing its inbox row ($5 consumer, $6 event id), in one statement and no
// transaction; when a line is beyond, nothing is written and the caller applies the event.
export const CLAIM_IF_NONE_BEYOND_CAPS = `WITH ${SIZE_CAPS}, beyond AS (SELECT 1 ${ITEMS_BEYOND_CAPS} LIMIT 1),
       claim AS (
         INSERT INTO inbox (consumer, event_id) SELECT $5, $6::uuid WHERE NOT EXISTS (SELECT 1 FROM beyond)
         ON CONFLICT (consumer, event_id) DO NOTHING RETURNING 1
       )
       SELECT EXISTS (SELECT 1 FROM beyond) AS beyond, EXISTS (SELECT 1 FROM claim) AS claimed`;
const RENAME_SIZE = `UPDATE cart_items i SET size = $3, updated_at = now()
        WHERE i.product_id = $1 AND i.size = $2
          AND NOT EXISTS (SELECT 1 FROM cart_items j WHERE j.cart_id = i.cart_id AND j.product_id = $1 AND j.size = $3)
       RETURNING i.id`;
const LOCK_USER_ITEMS = `SELECT ${ITEM_COLUMNS} FROM cart_items i JOIN carts c ON c.id = i.cart_id
       WHERE c.user_id = $1 ORDER BY i.id FOR UPDATE OF i`;

export class CartStore {
  constructor(private readonly db: Sql) {}

  async items(userId: string): Promise<CartItemRecord[]> {
    const rows = await this.db.query<ItemRow>(SELECT_ITEMS, [userId]);
    return rows.map(toItem);
  }

  /**
   * The items and the changes not yet shown, the changes marked seen. Almost every read finds no
   * unseen change: it is then one plain read (the items, and whether any change waits). Only
   * when one waits does the marking statement run, which returns items and changes again from
   * one snapshot, so a change and the removal it explains are always shown together. (Running
   * the marking UPDATE on every read made each read a write statement: 2.5× the database work.)
   */
  async itemsTakingChanges(userId: string): Promise<{ items: CartItemRecord[]; changes: RecordedChange[] }> {
    const read = await this.db.query<{ pending: boolean } & (ItemRow | { [K in keyof ItemRow]: null })>(READ_ITEMS_AND_PENDING, [userId]);
    if (!read[0]?.pending) return { items: read.filter((r): r is ItemRow & { pending: boolean } => r.id !== null).map(toItem), changes: [] };
    const rows = await this.db.query<{ items: unknown; changes: unknown }>(TAKE_CHANGES_WITH_ITEMS, [userId]);
    const row = rows[0];
    const changes = parseJsonColumn<Array<Omit<ChangeRow, 'created_at'> & { created_at: string }>>(row?.changes);
    return {
      items: parseItemsJson(row?.items),
      changes: changes.map((r) => toChange({ ...r, created_at: new Date(r.created_at) })),
    };
  }

  async item(userId: string, itemId: string): Promise<CartItemRecord | null> {
    if (!isUuid(itemId)) return null;
    const rows = await this.db.query<ItemRow>(SELECT_ITEM, [userId, itemId]);
    return rows[0] ? toItem(rows[0]) : null;
  }

  async count(userId: string): Promise<number> {
    const rows = await this.db.query<{ n: number | null }>(COUNT_ITEMS, [userId]);
    return Number(rows[0]?.n ?? 0);
  }

  /** The price changes the buyer has not seen yet, left unseen (checkout only looks). */
  async unseenPriceChanges(userId: string, runner: SqlRunner = this.db): Promise<RecordedChange[]> {
    const rows = await runner.query<ChangeRow>(SELECT_UNSEEN_PRICE_CHANGES, [userId]);
    return rows.map(toChange);
  }

  /** The changes the buyer has not seen yet, left unseen (the live feed shows them; the buyer's GET takes them). */
  async unseenChanges(userId: string): Promise<RecordedChange[]> {
    return (await this.db.query<ChangeRow>(SELECT_UNSEEN_CHANGES, [userId])).map(toChange);
  }

  /** The changes the buyer has not seen yet, marked seen by the same statement. */
  async takeUnseenChanges(userId: string, runner: SqlRunner = this.db): Promise<RecordedChange[]> {
    const rows = await runner.query<ChangeRow>(TAKE_UNSEEN_CHANGES, [userId]);
    return rows.map(toChange).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  /**
   * Creates the cart if needed and adds the line, or raises the quantity of the line already
   * there, in one statement. The row lock of ON CONFLICT DO UPDATE serializes concurrent adds of
   * the same line, and the WHERE refuses a total above `maxTotal` (no row comes back then).
   */
  async addItem(input: AddItemInput): Promise<AddItemResult> {
    const price = input.price.toFixed(2);
    const rows = await this.db.query<ItemRow & { created: boolean }>(ADD_ITEM, [
      input.userId,
      input.productId,
      input.productName,
      input.size,
      input.quantity,
      price,
      input.maxTotal,
      input.checkedAt,
    ]);
    const row = rows[0];
    if (row) return { ok: true, item: toItem(row), created: Boolean(row.created) };
    const current = await this.db.query<{ quantity: number }>(SELECT_LINE_QUANTITY, [input.userId, input.productId, input.size]);
    return { ok: false, inCart: Number(current[0]?.quantity ?? 0) };
  }

  /** Sets the quantity (and refreshes price and name from the live lookup). Null when not the user's item. */
  async setQuantity(
    userId: string,
    itemId: string,
    update: { quantity: number; currentPrice: Decimal; productName: string; checkedAt: Date },
  ): Promise<CartItemRecord | null> {
    if (!isUuid(itemId)) return null;
    const rows = await this.db.query<ItemRow>(SET_QUANTITY, [
      userId,
      itemId,
      update.quantity,
      update.currentPrice.toFixed(2),
      update.productName,
      update.checkedAt,
    ]);
    return rows[0] ? toItem(rows[0]) : null;
  }

  async removeItem(userId: string, itemId: string): Promise<boolean> {
    if (!isUuid(itemId)) return false;
    const n = await this.db.execute(REMOVE_ITEM, [userId, itemId]);
    return n > 0;
  }

  async clear(userId: string): Promise<number> {
    return this.db.execute(CLEAR_CART, [userId]);
  }

  /**
   * Applies reconciled outcomes to items (locked by the caller's transaction) and records
   * their changes; `seen` marks the changes as already shown (validation answers with them).
   * `asOf` is when the facts were true (a live lookup's start, an event's occurred_at): updated
   * items' sync mark moves forward to it, and kept ones too with `touchKept` (a live check).
   */
  async applyOutcomes(
    tx: SqlTx,
    outcomes: ReadonlyArray<{ item: CartItemRecord; outcome: ItemOutcome }>,
    { seen, asOf, touchKept }: { seen: boolean; asOf: Date | null; touchKept: boolean },
  ): Promise<CartChange[]> {
    const changes: Array<CartChange & { cartId: string }> = [];
    for (const { item, outcome } of outcomes) {
      if (outcome.action === 'remove') {
        await tx.execute(DELETE_ITEM, [item.id]);
      } else if (outcome.action === 'update') {
        await tx.execute(UPDATE_ITEM, [item.id, outcome.quantity, outcome.currentPrice.toFixed(2), outcome.productName, asOf]);
      } else if (asOf && touchKept) {
        await tx.execute(TOUCH_ITEM, [item.id, asOf]);
      }
      for (const c of outcome.changes) changes.push({ ...c, cartId: item.cartId });
    }
    if (changes.length > 0) {
      const values = changes.flatMap((c) => [c.cartId, c.kind, c.itemId, c.productId, c.productName, c.size, c.oldValue, c.newValue, c.reason]);
      await tx.execute(INSERT_CHANGES(changes.length, seen), values);
    }
    return changes;
  }

  /** Every cart's items of a product, locked, for a catalogue event. */
  async lockItemsOfProduct(tx: SqlTx, productId: string, notSyncedAfter: Date | null): Promise<CartItemRecord[]> {
    const rows = notSyncedAfter
      ? await tx.query<ItemRow>(LOCK_PRODUCT_ITEMS_NOT_SYNCED_AFTER, [productId, notSyncedAfter])
      : await tx.query<ItemRow>(LOCK_PRODUCT_ITEMS, [productId]);
    return rows.map(toItem);
  }

  /**
   * A size of the product was renamed: every line of the old name takes the new one (its stock is
   * the same row at inventory). Locks the product's items in id order first, as the other catalogue
   * updates do. A cart that somehow already has a line of the new name keeps both; the old one is
   * then dropped as a removed size by the `product.updated` that follows. Returns the items moved.
   */
  async renameSize(tx: SqlTx, productId: string, from: string, to: string): Promise<string[]> {
    await this.lockItemsOfProduct(tx, productId, null);
    const rows = await tx.query<{ id: string }>(RENAME_SIZE, [productId, from, to]);
    return rows.map((r) => r.id);
  }

  /**
   * For a stock event: when no item of the product is above the caps, records the event as handled
   * by `consumer` ('claimed', or 'duplicate' when it already was); 'beyond' (nothing written) when
   * one is, for the caller to lock and reconcile them.
   */
  async claimIfNoneBeyondCaps(
    consumer: string,
    eventId: string,
    productId: string,
    notSyncedAfter: Date | null,
    caps: StockCaps,
  ): Promise<'claimed' | 'duplicate' | 'beyond'> {
    const [row] = await this.db.query<{ beyond: boolean; claimed: boolean }>(CLAIM_IF_NONE_BEYOND_CAPS, [
      productId,
      notSyncedAfter,
      caps.sizes,
      caps.available,
      consumer,
      eventId,
    ]);
    if (row.beyond) return 'beyond';
    return row.claimed ? 'claimed' : 'duplicate';
  }

  /** The items of a product above the stock caps, locked (in id order, as lockItemsOfProduct), for a stock event. */
  async lockItemsBeyondCaps(tx: SqlTx, productId: string, notSyncedAfter: Date | null, caps: StockCaps): Promise<CartItemRecord[]> {
    const rows = await tx.query<ItemRow>(LOCK_PRODUCT_ITEMS_BEYOND_CAPS, [productId, notSyncedAfter, caps.sizes, caps.available]);
    return rows.map(toItem);
  }

  /** One buyer's items, locked, for a validation (in id order, like lockItemsOfProduct, so the two never deadlock). */
  async lockItemsOfUser(tx: SqlTx, userId: string): Promise<CartItemRecord[]> {
    const rows = await tx.query<ItemRow>(LOCK_USER_ITEMS, [userId]);
    return rows.map(toItem);
  }
}
