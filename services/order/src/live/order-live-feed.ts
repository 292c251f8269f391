// /ws/orders/{user_id}/: order status changes and payment deadline ticks, pushed to the sockets
// of THIS instance. Every instance reads all of order.events with a consumer group of its own
// (liveConsumerGroupName), so a buyer connected to any instance sees every change of their
// orders; the saga's consumer group is not involved (it splits partitions between instances).
import {
  Topics,
  liveConsumerGroupName,
  liveMessage,
  topicName,
  type AnyEnvelope,
  type KafkaBus,
  type LiveHub,
  type LiveStream,
  type Logger,
  type Subscription,
} from '@sudamall/shared';
import type { Clock } from '../app/ports';
import { DEFAULT_ORDER_SORT, type OrderListFilter } from '../domain/order-listing';
import { PaymentDeadlines } from './payment-deadlines';

export const ORDERS_STREAM = 'orders';
/** /ws/stores/{store_id}/orders/: a store's orders, for its sellers (never another store's lines or prices). */
export const STORE_ORDERS_STREAM = 'store-orders';

/** The under_paying orders of a user, read when they subscribe (the store's buyer listing). */
export interface UnderPayingOrders {
  list(filter: OrderListFilter<'under_paying'>): Promise<{ items: Array<{ id: string; paymentExpiresAt: Date | null }> }>;
}

export interface OrderLiveFeedOptions {
  /** How often deadlines tick (1 s: the buyer watches a countdown). */
  tickMs?: number;
}

export class OrderLiveFeed {
  private readonly deadlines = new PaymentDeadlines();
  private ticker: NodeJS.Timeout | undefined;
  private subscription: Subscription | undefined;

  constructor(
    readonly hub: LiveHub,
    private readonly orders: UnderPayingOrders,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly opts: OrderLiveFeedOptions = {},
  ) {}

  /** The stream for liveUpdatesPlugin: a buyer watches their own orders; admins anyone's. */
  stream(): LiveStream {
    return {
      name: ORDERS_STREAM,
      authorize: (user, userId) => user.role === 'admin' || user.id === userId,
      onSubscribe: async ({ id: userId, socket }) => {
        // Orders already waiting for payment tick from the first second, not from their next event.
        const { items } = await this.orders.list({
          scope: { kind: 'buyer', userId },
          status: 'under_paying',
          sort: DEFAULT_ORDER_SORT,
          page: 1,
          pageSize: 100,
        });
        for (const o of items) if (o.paymentExpiresAt) this.deadlines.track(userId, o.id, o.paymentExpiresAt);
        for (const tick of this.deadlines.ticks(this.clock.now(), this.watched(), userId)) {
          this.hub.sendTo(socket, liveMessage('payment_deadline', deadlineData(tick), this.clock.now()));
        }
      },
    };
  }

  /**
   * The stream for a store's sellers: the orders with an item of their store, as they are placed
   * and move (the order's status, and their own part's), without amounts (those are per store).
   */
  storeStream(): LiveStream {
    return {
      name: STORE_ORDERS_STREAM,
      path: '/ws/stores/:id/orders/',
      authorize: (user, storeId) => user.role === 'admin' || (user.role === 'seller' && user.storeId === storeId),
    };
  }

  /** Maps one order event to what the buyer and the order's stores see (public so tests can drive it without Kafka). */
  handle(envelope: AnyEnvelope): void {
    switch (envelope.type) {
      case 'order.placed': {
        const d = envelope.data;
        this.push(d.user_id, 'order.placed', { order_id: d.order_id, status: 'pending', total_amount: d.total_amount }, envelope.occurred_at);
        this.toStores(d.store_ids, 'order.placed', { order_id: d.order_id, status: 'pending' }, envelope.occurred_at);
        return;
      }
      case 'order.fulfillment_changed': {
        const d = envelope.data;
        const data = { order_id: d.order_id, store_id: d.store_id, from: d.from, to: d.to, reason: d.reason };
        this.push(d.user_id, 'order.fulfillment_changed', data, envelope.occurred_at);
        this.toStores([d.store_id], 'order.fulfillment_changed', data, envelope.occurred_at);
        return;
      }
      case 'order.status_changed': {
        const d = envelope.data;
        if (d.to === 'under_paying' && d.payment_expires_at && this.hub.subscriberCount(ORDERS_STREAM, d.user_id) > 0) {
          this.deadlines.track(d.user_id, d.order_id, new Date(d.payment_expires_at));
        } else if (d.to !== 'under_paying') {
          const expiresAt = this.deadlines.expiresAt(d.user_id, d.order_id);
          this.deadlines.untrack(d.user_id, d.order_id);
          // The sweeper may cancel a lapsed order before the next tick: the countdown still ends
          // at 0, right before the cancellation, as it would have with one more tick.
          if (expiresAt && d.reason === 'payment_timeout') {
            this.push(
              d.user_id,
              'payment_deadline',
              deadlineData({ order_id: d.order_id, seconds_remaining: 0, expires_at: expiresAt.toISOString() }),
              envelope.occurred_at,
            );
          }
        }
        this.push(
          d.user_id,
          'order.status_changed',
          { order_id: d.order_id, from: d.from, to: d.to, reason: d.reason, payment_expires_at: d.payment_expires_at },
          envelope.occurred_at,
        );
        this.toStores(d.store_ids, 'order.status_changed', { order_id: d.order_id, from: d.from, to: d.to, reason: d.reason }, envelope.occurred_at);
        return;
      }
      case 'order.cancelled': {
        const d = envelope.data;
        this.deadlines.untrack(d.user_id, d.order_id);
        this.push(d.user_id, 'order.cancelled', { order_id: d.order_id, reason: d.reason }, envelope.occurred_at);
        this.toStores(d.store_ids, 'order.cancelled', { order_id: d.order_id, reason: d.reason }, envelope.occurred_at);
        return;
      }
      default:
        return;
    }
  }

  /** Sends every watched user's deadline ticks (the timer calls it each tickMs). */
  tick(): void {
    const now = this.clock.now();
    for (const t of this.deadlines.ticks(now, this.watched())) {
      this.hub.publish(ORDERS_STREAM, t.user_id, liveMessage('payment_deadline', deadlineData(t), now));
    }
  }

  /** Reads order.events from now on with this instance's own group, and starts the ticker. */
  async start(bus: KafkaBus, topicPrefix: string): Promise<void> {
    this.subscription = await bus.subscribe({
      groupId: liveConsumerGroupName(topicPrefix, 'order'),
      topics: [topicName(topicPrefix, Topics.orderEvents)],
      fromBeginning: false,
      // This instance's own view, read from now on: nothing to park for anyone to retry.
      park: false,
      handle: async (envelope) => this.handle(envelope),
    });
    this.ticker = setInterval(() => {
      try {
        this.tick();
      } catch (err) {
        this.logger.error({ err }, 'payment deadline tick failed');
      }
    }, this.opts.tickMs ?? 1000);
    this.ticker.unref();
  }

  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  private watched(): Set<string> {
    return new Set(this.hub.subscribedIds(ORDERS_STREAM));
  }

  private push(userId: string, type: string, data: unknown, occurredAt: string): void {
    this.hub.publish(ORDERS_STREAM, userId, liveMessage(type, data, occurredAt));
  }

  /** Events of orders placed before stores were named on them carry no store_ids: no store hears those. */
  private toStores(storeIds: string[] | undefined, type: string, data: unknown, occurredAt: string): void {
    for (const storeId of storeIds ?? []) this.hub.publish(STORE_ORDERS_STREAM, storeId, liveMessage(type, data, occurredAt));
  }
}

function deadlineData(t: { order_id: string; seconds_remaining: number; expires_at: string }) {
  return { order_id: t.order_id, seconds_remaining: t.seconds_remaining, expires_at: t.expires_at };
}
