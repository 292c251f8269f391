// Kafka consumers: thin, each hands the envelope to one use case.
import { Topics, consumerGroupName, topicName, type KafkaBus, type Logger, type Subscription } from '@sudamall/shared';
import type { CartUseCases } from '../container';

export async function startConsumers(
  bus: KafkaBus,
  useCases: Pick<CartUseCases, 'applyCatalogEvent' | 'settleCheckout'>,
  opts: { topicPrefix: string; logger: Logger },
): Promise<Subscription[]> {
  // Topics normally come from scripts/platform.sh; creating the missing ones lets the service
  // start on a fresh broker too.
  await bus.ensureTopics([topicName(opts.topicPrefix, Topics.inventoryEvents), topicName(opts.topicPrefix, Topics.orderEvents)]);
  const catalog = await bus.subscribe({
    groupId: consumerGroupName(opts.topicPrefix, 'cart-catalog-sync'),
    topics: [topicName(opts.topicPrefix, Topics.inventoryEvents)],
    fromBeginning: true,
    handle: async (envelope) => {
      const { outcome, changes } = await useCases.applyCatalogEvent.execute(envelope);
      if (outcome === 'applied' && changes.length > 0) {
        opts.logger.debug({ event_id: envelope.id, type: envelope.type, changes: changes.length }, 'carts synced with catalogue');
      }
    },
  });
  const orders = await bus.subscribe({
    groupId: consumerGroupName(opts.topicPrefix, 'cart-order-events'),
    topics: [topicName(opts.topicPrefix, Topics.orderEvents)],
    fromBeginning: true,
    handle: async (envelope) => {
      if (envelope.type !== 'order.status_changed') return;
      const data = envelope.data as { order_id?: unknown; to?: unknown; payment_expires_at?: unknown };
      if (typeof data.order_id !== 'string' || data.to !== 'under_paying') return;
      const expires = typeof data.payment_expires_at === 'string' ? data.payment_expires_at : null;
      await useCases.settleCheckout.orderAccepted(data.order_id, 'under_paying', expires);
    },
  });
  return [catalog, orders];
}
