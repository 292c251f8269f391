import { randomUUID } from 'node:crypto';
import { createEnvelope, formatMoney, invalid, money, sumMoney, Topics, type Envelope, type TopicName } from '@sudamall/shared';
import { productNotFound, productUnavailable, sizeNotAllowed, sizeNotFound, sizeRequired } from '../domain/errors';
import { startCheckout } from '../saga/saga-engine';
import type { SagaDecision } from '../saga/saga-types';
import { addressNotFound, shippingAddressChoice, type AddressSnapshot } from '../domain/address';
import { requestedPaymentWindowMs } from '../domain/payment-deadline';
import type { AddressLookup } from './ports';
import type { CatalogPort, CatalogSnapshot, OrderableFacts } from './catalog';
import type { SagaCoordinator } from './saga-coordinator';

export interface PlaceOrderInput {
  userId: string;
  idempotencyKey: string;
  items: Array<{ productId: string; quantity: number; size?: string | null }>;
  /** Exactly one of a typed shipping address and a saved address of the user (address_id). */
  shippingAddress?: string;
  addressId?: string;
  notes?: string;
  /** A shorter payment window for this order (test mode only: requestedPaymentWindowMs). */
  paymentWindowSeconds?: number;
  /** How long to wait for the reservation outcome before answering (0: answer at once). */
  waitMs: number;
}

export interface NewOrderItem {
  id: string;
  productId: string;
  productName: string;
  size: string | null;
  quantity: number;
  price: string;
  storeId: string;
  snapshot: CatalogSnapshot;
}

export interface NewOrder {
  id: string;
  userId: string;
  idempotencyKey: string;
  shippingAddress: string;
  shippingAddressSnapshot: AddressSnapshot | null;
  notes: string;
  totalAmount: string;
  storeIds: string[];
  items: NewOrderItem[];
}

export interface PlacementStore {
  findIdByIdempotencyKey(userId: string, key: string): Promise<string | null>;
  /** Writes order, items, history, saga, step log and outbox in one transaction; 'duplicate' when the key was taken meanwhile. */
  insertPlaced(order: NewOrder, saga: SagaDecision, outbox: Array<{ topic: TopicName; envelope: Envelope }>, now: Date): Promise<'created' | 'duplicate'>;
  currentStatus(orderId: string): Promise<string | null>;
}

export const MAX_LINE_QUANTITY = 10_000;
/**
 * How often a waiting create reads the order's status. Only a safety net: this process's own
 * replies wake the wait at once without a read; the poll is for a reply another replica applied.
 * Was 250 ms, the only wake-up (~4.9 status reads per checkout under load, issue 15).
 */
const SAFETY_POLL_MS = 1000;
export const MAX_LINES = 100;

function normalise(input: PlaceOrderInput) {
  if (!input.idempotencyKey || input.idempotencyKey.length > 200) {
    throw invalid('IDEMPOTENCY_KEY_REQUIRED', 'an idempotency key (1-200 characters) is required');
  }
  if (!input.shippingAddress?.trim() === !input.addressId) throw shippingAddressChoice();
  if (input.items.length === 0) throw invalid('EMPTY_ORDER', 'an order needs at least one item');
  if (input.items.length > MAX_LINES) throw invalid('TOO_MANY_ITEMS', `at most ${MAX_LINES} items per order`);
  // One line per product and size: the same SKU twice is one reservation of the sum.
  const lines = new Map<string, { productId: string; size: string | null; quantity: number }>();
  for (const item of input.items) {
    if (!item.productId) throw invalid('PRODUCT_ID_REQUIRED', 'every item needs a product_id');
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_LINE_QUANTITY) {
      throw invalid('INVALID_QUANTITY', `quantity must be an integer from 1 to ${MAX_LINE_QUANTITY}`, { product_id: item.productId });
    }
    const size = item.size ? item.size : null;
    const key = `${item.productId}\u0000${size ?? ''}`;
    const line = lines.get(key);
    if (line) line.quantity += item.quantity;
    else lines.set(key, { productId: item.productId, size, quantity: item.quantity });
  }
  return [...lines.values()];
}

/** Whether a line can be ordered from its product as it stands; throws the reason it cannot. */
function assertOrderable(line: { productId: string; size: string | null }, p: OrderableFacts | undefined): void {
  if (!p) throw productNotFound([line.productId]);
  if (p.deleted) throw productUnavailable(p.id);
  if (p.hasSizes && !line.size) throw sizeRequired(p.id);
  if (!p.hasSizes && line.size) throw sizeNotAllowed(p.id, line.size);
  if (p.hasSizes && line.size && !p.sizes.includes(line.size)) throw sizeNotFound(p.id, line.size, p.sizes);
}

export class PlaceOrder {
  constructor(
    private readonly catalog: CatalogPort,
    private readonly store: PlacementStore,
    private readonly saga: SagaCoordinator,
    private readonly addresses?: AddressLookup,
    private readonly window: { testMode: boolean; windowSeconds: number } = { testMode: false, windowSeconds: 900 },
  ) {}

  /** Returns the order id and whether it already existed for this (user, key). */
  async execute(input: PlaceOrderInput): Promise<{ orderId: string; replayed: boolean }> {
    const lines = normalise(input);
    const paymentWindowMs = requestedPaymentWindowMs(input.paymentWindowSeconds, this.window);
    const existing = await this.store.findIdByIdempotencyKey(input.userId, input.idempotencyKey);
    if (existing) {
      await this.waitWhilePending(existing, input.waitMs);
      return { orderId: existing, replayed: true };
    }

    // Resolved once, at placement: the order keeps this text and snapshot whatever the address becomes.
    const shipping = input.addressId
      ? await this.resolveAddress(input.userId, input.addressId)
      : { text: (input.shippingAddress ?? '').trim(), snapshot: null };

    // One catalogue call: the snapshots carry the product as it stood, and the lines are checked
    // against that (a refused placement leaves its snapshots unreferenced; they list nowhere).
    const orderId = randomUUID();
    const { snapshots, missingIds } = await this.catalog.createSnapshots(lines, `order:${orderId}`);
    if (missingIds.length > 0) throw productNotFound(missingIds);
    if (snapshots.length !== lines.length) throw new Error(`the catalogue answered ${snapshots.length} snapshots for ${lines.length} lines`);
    const facts = await this.orderableFacts(lines, snapshots);
    lines.forEach((line, i) => assertOrderable(line, facts[i]));
    const items: NewOrderItem[] = lines.map((line, i) => {
      const snapshot = snapshots[i];
      return {
        id: randomUUID(),
        productId: line.productId,
        productName: snapshot.productName,
        size: line.size,
        quantity: line.quantity,
        // The snapshot is the price the buyer is charged: it is what the order will show forever.
        price: formatMoney(money(snapshot.price)),
        storeId: snapshot.storeId,
        snapshot,
      };
    });
    const total = formatMoney(sumMoney(items.map((it) => money(it.price).times(it.quantity))));
    const order: NewOrder = {
      id: orderId,
      userId: input.userId,
      idempotencyKey: input.idempotencyKey,
      shippingAddress: shipping.text,
      shippingAddressSnapshot: shipping.snapshot,
      notes: input.notes ?? '',
      totalAmount: total,
      storeIds: [...new Set(items.map((it) => it.storeId))].sort(),
      items,
    };
    const reserveLines = items.map((it) => ({ line_id: it.id, product_id: it.productId, size: it.size, quantity: it.quantity }));
    const timings = this.saga.timings();
    const decision = startCheckout(
      { order_id: orderId, user_id: input.userId, lines: reserveLines, ...(paymentWindowMs ? { payment_window_ms: paymentWindowMs } : {}) },
      timings,
    );
    const outbox: Array<{ topic: TopicName; envelope: Envelope }> = decision.commands.map((c) => ({
      topic: c.topic,
      envelope: createEnvelope(c.type, orderId, c.data as never),
    }));
    outbox.push({
      topic: Topics.orderEvents,
      envelope: createEnvelope('order.placed', orderId, {
        order_id: orderId,
        user_id: input.userId,
        total_amount: total,
        lines: reserveLines,
        store_ids: order.storeIds,
      }),
    });
    // Listening before the insert commits: no reply for this order can be applied unheard.
    const watch = this.watch(orderId);
    try {
      const outcome = await this.store.insertPlaced(order, decision, outbox, timings.now);
      if (outcome === 'duplicate') {
        // A concurrent call with the same key won the insert; this one answers with its order.
        const winner = await this.store.findIdByIdempotencyKey(input.userId, input.idempotencyKey);
        if (!winner) throw new Error('idempotency key conflict without an order');
        await this.waitWhilePending(winner, input.waitMs);
        return { orderId: winner, replayed: true };
      }
      // Just inserted, so pending: the first status read would be a round trip that tells nothing.
      await this.waitFor(watch, input.waitMs, false);
      return { orderId, replayed: false };
    } finally {
      watch.close();
    }
  }

  /** Each line's product as it stood: from its snapshot, or (an older inventory's snapshots lack it) from GetProducts. */
  private async orderableFacts(lines: ReadonlyArray<{ productId: string }>, snapshots: CatalogSnapshot[]): Promise<Array<OrderableFacts | undefined>> {
    if (snapshots.every((s) => s.product)) return snapshots.map((s) => s.product);
    const { products, missingIds } = await this.catalog.getProducts([...new Set(lines.map((l) => l.productId))]);
    if (missingIds.length > 0) throw productNotFound(missingIds);
    const byId = new Map(products.map((p) => [p.id, p]));
    return lines.map((l) => byId.get(l.productId));
  }

  private async resolveAddress(userId: string, addressId: string) {
    if (!this.addresses) throw addressNotFound(addressId);
    return this.addresses.execute(userId, addressId);
  }

  /**
   * Waits until the order leaves `pending` (stock reserved or rejected) or the time is up. Woken
   * at once, without a read, when this process applies the reply (SagaCoordinator notifies after
   * the reply's transaction commits); a slow poll of the status covers replies applied by another
   * instance (two replicas share the reply topics' partitions).
   */
  async waitWhilePending(orderId: string, waitMs: number): Promise<void> {
    if (waitMs <= 0) return;
    const watch = this.watch(orderId);
    try {
      await this.waitFor(watch, waitMs, true);
    } finally {
      watch.close();
    }
  }

  /** Hears this process's moves of one order from the moment it is made (close it when done). */
  private watch(orderId: string): OrderWatch {
    const watch: OrderWatch = { orderId, moved: false, close: () => undefined };
    watch.close = this.saga.onOrderMoved(orderId, (status) => {
      if (status === 'pending') return;
      watch.moved = true;
      watch.wake?.();
    });
    return watch;
  }

  private async waitFor(watch: OrderWatch, waitMs: number, readFirst: boolean): Promise<void> {
    if (waitMs <= 0) return;
    // Real time on purpose: how long a caller is kept waiting is no business rule (the injected
    // clock, which tests move forward, decides deadlines; it must not cut a wait short).
    const deadline = Date.now() + waitMs;
    if (readFirst && (await this.store.currentStatus(watch.orderId)) !== 'pending') return;
    for (;;) {
      const left = deadline - Date.now();
      if (watch.moved || left <= 0) return;
      // This sleep runs to the deadline: no read after it, the caller reads the whole order next.
      const last = left <= SAFETY_POLL_MS;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, SAFETY_POLL_MS));
        watch.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      watch.wake = undefined;
      if (watch.moved || last) return;
      if ((await this.store.currentStatus(watch.orderId)) !== 'pending') return;
    }
  }
}

interface OrderWatch {
  orderId: string;
  /** Set when this process moved the order out of `pending`. */
  moved: boolean;
  wake?: () => void;
  close(): void;
}
