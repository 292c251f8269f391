// The cart's Kafka consumers, as declarations the kernel subscribes (group and topics prefixed
// with KAFKA_TOPIC_PREFIX, retried and parked by the bus). Thin: each hands the envelope to one use case.
import { Topics, type FetchGathering, type Logger } from '@sudamall/shared';
import type { Consumer } from '@sudamall/shared/service';
import type { CartUseCases } from '../container';

// Neither consumer is on a buyer's path: a catalogue change may reach carts up to a quarter of a
// second later, and a pending checkout may settle that much later. Both read every checkout's events (its two
// stock movements, its order's moves) and fetched each as it came: gathering them halves the
// cart's CPU per checkout and spares the broker as many fetches (bench/README, "The cart in the
// checkout bench").
const GATHER: FetchGathering = { maxWaitMs: 250, minBytes: 64 * 1024 };

export function cartConsumers(useCases: Pick<CartUseCases, 'applyCatalogEvent' | 'settleCheckout'>, logger: Logger): Consumer[] {
  return [
    {
      name: 'cart-catalog-sync',
      topics: [Topics.inventoryEvents],
      gather: GATHER,
      handle: async (envelope) => {
        const { outcome, changes } = await useCases.applyCatalogEvent.execute(envelope);
        if (outcome === 'applied' && changes.length > 0) {
          logger.debug({ event_id: envelope.id, type: envelope.type, changes: changes.length }, 'carts synced with catalogue');
        }
      },
    },
    {
      name: 'cart-order-events',
      topics: [Topics.orderEvents],
      gather: GATHER,
      handle: async (envelope) => {
        if (envelope.type !== 'order.status_changed') return;
        const data = envelope.data as { order_id?: unknown; to?: unknown; payment_expires_at?: unknown };
        if (typeof data.order_id !== 'string' || data.to !== 'under_paying') return;
        const expires = typeof data.payment_expires_at === 'string' ? data.payment_expires_at : null;
        await useCases.settleCheckout.orderAccepted(data.order_id, 'under_paying', expires);
      },
    },
  ];
}
