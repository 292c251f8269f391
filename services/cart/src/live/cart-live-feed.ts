// /ws/cart/{user_id}/: the buyer's cart as it is after every change, pushed to the sockets of
// THIS instance. Where the changes come from: PostgreSQL itself. Triggers (migration
// 20261125080000_cart_live_notify) NOTIFY 'cart_live' with the buyer's id when their items or
// recorded sync changes change, at commit. Every instance LISTENs, so it does not matter which
// instance or consumer made the change: a REST call on another instance, the catalogue sync
// (inventory.events, consumed by one instance of the group) or a checkout settled from
// order.events. No Kafka group per instance is needed here, and nothing is pushed that did not commit.
import { liveMessage, type LiveHub, type LiveStream, type Logger } from '@sudamall/shared';
import type { CartView } from '../app/cart-view';
import { presentCart, presentChange } from '../http/presenters';
import { CartChangeListener } from '../infra/cart-change-listener';
import type { RecordedChange } from '../infra/cart-store';

export const CART_STREAM = 'cart';

export interface CartReader {
  execute(userId: string, opts: { takeChanges: false }): Promise<CartView>;
}

/** The sync changes a buyer has not seen yet, left unseen (CartStore). */
export interface UnseenChanges {
  unseenChanges(userId: string): Promise<RecordedChange[]>;
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
  private readonly pending = new Map<string, PendingPush>();
  private readonly listener: CartChangeListener;

  constructor(
    readonly hub: LiveHub,
    private readonly carts: CartReader,
    private readonly changes: UnseenChanges,
    private readonly logger: Logger,
    private readonly opts: CartLiveFeedOptions,
  ) {
    this.listener = new CartChangeListener({
      databaseUrl: opts.databaseUrl,
      logger,
      maxBackoffMs: opts.maxBackoffMs,
      onChange: (userId) => this.changed(userId),
      // Notifications sent while we were away are lost: send everyone watching here a fresh cart.
      onReconnected: () => {
        for (const userId of this.hub.subscribedIds(CART_STREAM)) this.changed(userId);
      },
    });
  }

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
  start(): Promise<void> {
    return this.listener.start();
  }

  stop(): Promise<void> {
    return this.listener.stop();
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
    const [cart, changes] = await Promise.all([this.carts.execute(userId, { takeChanges: false }), this.changes.unseenChanges(userId)]);
    const { changes: _none, ...rest } = presentCart(cart);
    return { user_id: userId, cart: rest, changes: changes.map(presentChange) };
  }
}
