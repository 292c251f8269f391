// Checkout: the whole cart, or one product bought directly. Idempotent per (buyer,
// Idempotency-Key): the attempt and its lines are recorded before order is called, order's
// PlaceOrder is itself idempotent by the key we pass, and the settled response is stored, so a
// retry (even concurrent, even after a crash between the call and the record) returns the same
// order and never creates a second one. Items leave the cart only once order accepted them.
import { createHash } from 'node:crypto';
import { DomainError, conflict, errorBody, formatMoney, invalid, type ErrorBody } from '@sudamall/shared';
import { assertLineFits, assertValidQuantity } from '../domain/cart-rules';
import { normalizeSize, sizeForJson } from '../domain/catalog';
import { CartErrors } from '../domain/errors';
import { cartVersion, derivedCheckoutKey } from '../domain/cart-version';
import { pricesNotShown } from '../domain/prices-shown';
import { shipToFingerprint, shipToOf } from '../domain/shipping';
import { reconcileItem } from '../domain/reconcile';
import type { CartItemRecord, CartStore } from '../infra/cart-store';
import type { Sql } from '@sudamall/shared';
import type { CheckoutKind, CheckoutRecord, CheckoutStore, StoredResponse } from '../infra/checkout-store';
import type { CatalogPort, OrderLine, OrderPlacementPort, PlacedOrder } from './ports';

export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

export interface CheckoutResponse {
  order_id: string;
  status: string;
  total_amount: string;
  payment_expires_at: string | null;
  items: Array<{ product_id: string; product_name: string; size: string | null; quantity: number; price: string; subtotal: string }>;
}

export interface CheckoutOutcome {
  statusCode: number;
  body: CheckoutResponse;
  /** True when the key had already settled: nothing new happened. */
  replayed: boolean;
}

interface Common {
  userId: string;
  idempotencyKey: string | undefined;
  /** Exactly one of a typed address and a saved address of the buyer (order resolves and snapshots it). */
  shippingAddress?: string;
  addressId?: string;
  notes?: string;
}
export type FullCheckoutCommand = Common;
export interface SingleCheckoutCommand extends Common {
  productId: string;
  quantity: number;
  size?: string | null;
}

/** Statuses meaning order reserved the stock and accepted the order. */
const ACCEPTED = new Set(['under_paying', 'processing', 'shipped', 'delivered']);

export class Checkout {
  constructor(
    private readonly db: Sql,
    private readonly cart: CartStore,
    private readonly checkouts: CheckoutStore,
    private readonly catalog: CatalogPort,
    private readonly orders: OrderPlacementPort,
    private readonly options: { waitMs: number },
  ) {}

  async full(cmd: FullCheckoutCommand): Promise<CheckoutOutcome> {
    const shipTo = shipToOf(cmd);
    const fingerprint = fingerprintOf({ kind: 'full', ...shipToFingerprint(shipTo), notes: cmd.notes ?? '' });
    const key = await this.keyOf(cmd, fingerprint);
    return this.run(cmd, key, 'full', fingerprint, async () => {
      const items = await this.pricesAsShown(cmd.userId);
      return items.map((i) => ({ productId: i.productId, size: i.size, quantity: i.quantity }));
    });
  }

  /**
   * The cart's items, once every price in it is one the buyer was shown. Prices are read live
   * first (the catalogue event of a change may not have arrived yet) and a difference is
   * recorded as an unseen change, exactly as the sync would, so the next GET /carts/ shows it.
   * Runs before the attempt is recorded: a PRICES_CHANGED is not stored under the key, and the
   * same checkout goes through once the buyer has read the cart again.
   */
  private async pricesAsShown(userId: string): Promise<CartItemRecord[]> {
    const before = await this.cart.items(userId);
    if (before.length === 0) throw CartErrors.cartEmpty();
    const checkedAt = new Date();
    const products = await this.catalog.getProducts([...new Set(before.map((i) => i.productId))]);
    const { items, unseen } = await this.db.transaction(async (tx) => {
      const locked = await this.cart.lockItemsOfUser(tx, userId);
      const outcomes = locked.flatMap((item) => {
        const product = products.get(item.productId);
        // Only the price: stock and deletions are order's to refuse, with their own errors.
        if (!product || product.deleted) return [];
        const outcome = reconcileItem(item, { price: product.price });
        return outcome.action === 'update' ? [{ item, outcome }] : [];
      });
      await this.cart.applyOutcomes(tx, outcomes, { seen: false, asOf: checkedAt, touchKept: false });
      return { items: await this.cart.lockItemsOfUser(tx, userId), unseen: await this.cart.unseenPriceChanges(userId, tx) };
    });
    if (items.length === 0) throw CartErrors.cartEmpty();
    const changed = pricesNotShown(items, unseen);
    if (changed.length > 0) throw CartErrors.pricesChanged(changed);
    return items;
  }

  async single(cmd: SingleCheckoutCommand): Promise<CheckoutOutcome> {
    assertValidQuantity(cmd.quantity);
    const shipTo = shipToOf(cmd);
    const size = normalizeSize(cmd.size);
    const fingerprint = fingerprintOf({
      kind: 'single',
      product_id: cmd.productId,
      quantity: cmd.quantity,
      size,
      ...shipToFingerprint(shipTo),
      notes: cmd.notes ?? '',
    });
    const key = await this.keyOf(cmd, fingerprint);
    return this.run(cmd, key, 'single', fingerprint, async () => {
      const product = (await this.catalog.getProducts([cmd.productId])).get(cmd.productId);
      try {
        assertLineFits(cmd.productId, product, size, cmd.quantity);
      } catch (err) {
        // Same shape as a rejected reservation, so clients read one kind of 409 at checkout.
        if (err instanceof DomainError && err.code === 'INSUFFICIENT_STOCK') {
          const d = err.details as { product_id: string; size: string | null; requested: number; available: number };
          const shortLine = { product_id: d.product_id, size: d.size, requested: d.requested, available: d.available, code: err.code };
          throw new DomainError(err.kind, err.code, err.message, { ...err.details, short_lines: [shortLine] });
        }
        throw err;
      }
      return [{ productId: cmd.productId, size, quantity: cmd.quantity }];
    });
  }

  /**
   * The buyer's Idempotency-Key, or, without one (it is optional, as in Stripe's API), a key
   * derived from the cart's version and the request: a retried identical checkout of the same
   * cart lands on the same attempt and answers the same order.
   */
  private async keyOf(cmd: Common, fingerprint: string): Promise<string> {
    if (cmd.idempotencyKey?.trim()) return requireKey(cmd.idempotencyKey);
    return derivedCheckoutKey(cartVersion(await this.cart.items(cmd.userId)), fingerprint);
  }

  private async run(cmd: Common, key: string, kind: CheckoutKind, fingerprint: string, linesToOrder: () => Promise<OrderLine[]>): Promise<CheckoutOutcome> {
    let record = await this.checkouts.find(cmd.userId, key);
    if (!record) {
      const lines = await linesToOrder().catch(async (err: unknown) => {
        // A concurrent request with this key may have recorded the attempt and emptied the
        // cart meanwhile: then this is a retry of it, not an empty cart.
        const meanwhile = await this.checkouts.find(cmd.userId, key);
        if (!meanwhile) throw err;
        return meanwhile;
      });
      record = Array.isArray(lines) ? (await this.checkouts.begin({ userId: cmd.userId, key, kind, fingerprint, lines })).record : lines;
    }
    if (record.fingerprint !== fingerprint) throw CartErrors.idempotencyKeyReused();
    const settled = replay(record);
    if (settled) return settled;

    const order = await this.orders.placeOrder({
      // Namespaced by the attempt, so a key the buyer also used elsewhere cannot collide.
      idempotencyKey: `cart-checkout:${record.id}`,
      userId: cmd.userId,
      lines: record.lines,
      shippingAddress: shipToOf(cmd).shippingAddress ?? '',
      addressId: shipToOf(cmd).addressId,
      notes: cmd.notes ?? '',
      waitMs: this.options.waitMs,
    });
    const body = responseOf(order);

    if (order.status === 'cancelled') {
      const err =
        order.shortLines.length > 0
          ? CartErrors.orderRejected(order.orderId, order.shortLines)
          : conflict('ORDER_CANCELLED', `the order was cancelled (${order.cancelReason ?? 'unknown reason'})`, {
              order_id: order.orderId,
              reason: order.cancelReason,
            });
      await this.checkouts.reject(record, order.orderId, { statusCode: 409, body: errorBody(err) });
      throw err;
    }
    const response: StoredResponse = { statusCode: 201, body };
    if (!ACCEPTED.has(order.status)) {
      // Still reserving after waitMs: the items stay in the cart until order accepts the order
      // (a retry with the same key, or the order.events consumer, settles it then).
      await this.checkouts.setOrder(record.id, order.orderId, response);
      return { statusCode: 201, body, replayed: false };
    }
    const won = await this.checkouts.complete(record, order.orderId, response, kind === 'full');
    if (!won) {
      // A concurrent retry of the same key settled first; answer what it stored.
      const again = await this.checkouts.find(cmd.userId, key);
      const stored = again && replay(again);
      if (stored) return stored;
    }
    return { statusCode: 201, body, replayed: false };
  }
}

function requireKey(key: string | undefined): string {
  const k = key?.trim();
  if (!k) throw CartErrors.idempotencyKeyRequired();
  if (k.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw invalid('INVALID_IDEMPOTENCY_KEY', `Idempotency-Key is longer than ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  }
  return k;
}

function fingerprintOf(request: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

/** The stored answer of a settled attempt (an accepted order, or the rejection, thrown again). */
function replay(record: CheckoutRecord): CheckoutOutcome | null {
  if (record.status === 'completed' && record.response) {
    return { statusCode: record.response.statusCode, body: record.response.body as CheckoutResponse, replayed: true };
  }
  if (record.status === 'rejected' && record.response) {
    const { error } = record.response.body as ErrorBody;
    throw new DomainError('conflict', error.code, error.message, error.details);
  }
  return null;
}

export function responseOf(order: PlacedOrder): CheckoutResponse {
  return {
    order_id: order.orderId,
    status: order.status,
    total_amount: formatMoney(order.totalAmount),
    payment_expires_at: order.paymentExpiresAt,
    items: order.items.map((i) => ({
      product_id: i.productId,
      product_name: i.productName,
      size: sizeForJson(i.size),
      quantity: i.quantity,
      price: formatMoney(i.price),
      subtotal: formatMoney(i.price.times(i.quantity)),
    })),
  };
}
