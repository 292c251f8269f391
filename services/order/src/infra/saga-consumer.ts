import { consumerGroupName, topicName, Topics, type KafkaBus, type Logger, type Subscription } from '@sudamall/shared';
import { HandleSagaReply, SAGA_INBOX_CONSUMER } from '../app/handle-saga-reply';
import type { OrderAdjustments } from '../app/order-adjustments';
import type { SagaCoordinator } from '../app/saga-coordinator';

export { SAGA_INBOX_CONSUMER };

/**
 * Participants' replies (inventory.events, payment.events) → HandleSagaReply. Thin: a handler
 * that throws is retried by the bus (never skipped).
 */
export async function startSagaConsumer(opts: {
  bus: KafkaBus;
  saga: SagaCoordinator;
  adjustments: OrderAdjustments;
  groupId: string;
  topicPrefix: string;
  logger: Logger;
}): Promise<Subscription> {
  const handleReply = new HandleSagaReply(opts.saga, opts.adjustments);
  return opts.bus.subscribe({
    groupId: consumerGroupName(opts.topicPrefix, opts.groupId),
    topics: [topicName(opts.topicPrefix, Topics.inventoryEvents), topicName(opts.topicPrefix, Topics.paymentEvents)],
    fromBeginning: true,
    handle: async (envelope) => {
      const outcome = await handleReply.execute(envelope);
      if (outcome !== 'ignored') opts.logger.debug({ type: envelope.type, key: envelope.key, outcome }, 'saga reply');
    },
  });
}
