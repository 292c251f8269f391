// /ws/cart/{user_id}/: the buyer's cart as it is after every change, pushed to the sockets of
// THIS instance. Where the changes come from: PostgreSQL itself. Triggers (migration
// 20261125080000_cart_live_notify) NOTIFY 'cart_live' with the buyer's id when their items or
// recorded sync changes change, at commit. Every instance LISTENs, so it does not matter which
// instance or consumer made the change: a REST call on another instance, the catalogue sync
// (inventory.events, consumed by one instance of the group) or a checkout settled from
// order.events. No Kafka group per instance is needed here, and nothing is pushed that did not commit.
import { Client } from 'pg';
import { liveMessage, pgConfigFromUrl, type LiveHub, type LiveStream, type Logger } from '@sudamall/shared';
import type { CartView } from '../app/cart-view';
import { presentCart, presentChange } from '../http/presenters';
import type { RecordedChange } from '../infra/cart-store';
import type { SqlRunner } from '@sudamall/shared';

export const CART_STREAM = 'cart';
export const CART_LIVE_CHANNEL = 'cart_live';

export interface CartReader {
  execute(userId: string, opts: { takeChanges: false }): Promise<CartView>;
}

export interface CartLiveFeedOptions {
  databaseUrl: string;
  /** Waits before reading, so a burst of commits for one buyer becomes one push. */
  coalesceMs?: number;
  /** Reconnect backoff of the LISTEN connection. */
  maxBackoffMs?: number;
}

interface PendingPush {
  running: boolean;
  again: boolean;
}

export class CartLiveFeed {
  private client: Client | undefined;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly pending = new Map<string, PendingPush>();

  constructor(
    readonly hub: LiveHub,
    private readonly carts: CartReader,
    private readonly db: SqlRunner,
    private readonly logger: Logger,
    private readonly opts: CartLiveFeedOptions,
  ) {}

  /** A buyer watches their own cart (admins any); the current cart is sent at once. */
  stream(): LiveStream {
    return {
      name: CART_STREAM,
      authorize: (user, userId) => user.role === 'admin' || user.id === userId,
      onSubscribe: async ({ id, socket }) => {
        this.hub.sendTo(socket, liveMessage('cart.updated', await this.snapshot(id)));
      },
    };
  }

  /** Starts listening (resolves once LISTEN is in place). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** A user's cart changed somewhere: push it to this instance's subscribers (coalesced). */
  changed(userId: string): void {
    if (this.hub.subscriberCount(CART_STREAM, userId) === 0) return;
    const p = this.pending.get(userId);
    if (p) {
      p.again = true;
      return;
    }
    const entry: PendingPush = { running: true, again: false };
    this.pending.set(userId, entry);
    setTimeout(() => void this.push(userId, entry), this.opts.coalesceMs ?? 20);
  }

  private async push(userId: string, entry: PendingPush): Promise<void> {
    try {
      do {
        entry.again = false;
        if (this.hub.subscriberCount(CART_STREAM, userId) === 0) break;
        this.hub.publish(CART_STREAM, userId, liveMessage('cart.updated', await this.snapshot(userId)));
      } while (entry.again);
    } catch (err) {
      this.logger.error({ err, user_id: userId }, 'live cart push failed');
    } finally {
      this.pending.delete(userId);
    }
  }

  /**
   * The cart as GET /carts/ shows it, with the sync changes the buyer has not seen yet. Read
   * without marking them seen: the buyer's own GET still shows (and acknowledges) them.
   */
  private async snapshot(userId: string) {
    const [cart, changes] = await Promise.all([this.carts.execute(userId, { takeChanges: false }), this.unseenChanges(userId)]);
    const { changes: _none, ...rest } = presentCart(cart);
    return { user_id: userId, cart: rest, changes: changes.map(presentChange) };
  }

  private async unseenChanges(userId: string): Promise<RecordedChange[]> {
    const rows = await this.db.query<{
      id: string;
      kind: string;
      reason: string;
      item_id: string | null;
      product_id: string;
      product_name: string;
      size: string;
      old_value: string | null;
      new_value: string | null;
      created_at: Date;
    }>(
      `SELECT ch.id::text AS id, ch.kind, ch.reason, ch.item_id, ch.product_id, ch.product_name, ch.size, ch.old_value, ch.new_value, ch.created_at
       FROM cart_changes ch JOIN carts c ON c.id = ch.cart_id
       WHERE c.user_id = $1 AND ch.seen_at IS NULL ORDER BY ch.id`,
      [userId],
    );
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      reason: r.reason,
      itemId: r.item_id,
      productId: r.product_id,
      productName: r.product_name,
      size: r.size,
      oldValue: r.old_value,
      newValue: r.new_value,
      createdAt: r.created_at,
    }));
  }

  private async connect(attempt: number): Promise<void> {
    const client = new Client(pgConfigFromUrl(this.opts.databaseUrl));
    client.on('notification', (n) => {
      if (n.channel === CART_LIVE_CHANNEL && n.payload) this.changed(n.payload);
    });
    client.on('error', (err) => {
      this.logger.warn({ err }, 'live cart LISTEN connection failed; reconnecting');
      this.reconnect(client, attempt + 1);
    });
    client.on('end', () => this.reconnect(client, attempt + 1));
    try {
      await client.connect();
      await client.query(`LISTEN ${CART_LIVE_CHANNEL}`);
    } catch (err) {
      if (attempt === 0) throw err;
      this.logger.warn({ err }, 'live cart LISTEN reconnect failed');
      this.reconnect(client, attempt + 1);
      return;
    }
    this.client = client;
    if (attempt > 0) {
      // Notifications sent while we were away are lost: send everyone watching here a fresh cart.
      for (const userId of this.hub.subscribedIds(CART_STREAM)) this.changed(userId);
    }
  }

  private reconnect(client: Client, attempt: number): void {
    if (this.stopped || (this.client !== undefined && this.client !== client) || this.reconnectTimer) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    const delay = Math.min(this.opts.maxBackoffMs ?? 5000, 100 * 2 ** Math.min(attempt, 10));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect(attempt);
    }, delay);
    this.reconnectTimer.unref();
  }
}
