import { consumerGroupName, topicName, Topics, type KafkaBus, type Logger, type Subscription } from '@sudamall/shared';
import type { Consumer } from '@sudamall/shared/service';
import { HandleSagaReply, SAGA_INBOX_CONSUMER } from '../app/handle-saga-reply';
import type { OrderAdjustments } from '../app/order-adjustments';
import type { SagaCoordinator } from '../app/saga-coordinator';

export { SAGA_INBOX_CONSUMER };

/**
 * Participants' replies (inventory.events, payment.events) → HandleSagaReply, as the kernel
 * subscribes it: `group` is config.SAGA_CONSUMER_GROUP (the kernel prefixes it); the inbox
 * records each reply under SAGA_INBOX_CONSUMER whatever the group. Thin: a handler that throws is
 * retried by the bus (never skipped).
 */
export function sagaReplyConsumer(group: string, handleReply: HandleSagaReply, logger: Logger): Consumer {
  return {
    name: group,
    topics: [Topics.inventoryEvents, Topics.paymentEvents],
    fromBeginning: true,
    handle: async (envelope) => {
      const outcome = await handleReply.execute(envelope);
      if (outcome !== 'ignored') logger.debug({ type: envelope.type, key: envelope.key, outcome }, 'saga reply');
    },
  };
}

/** @deprecated main.ts and the test harness until they run `sagaReplyConsumer` through the kernel: the same declaration, subscribed here. */
export async function startSagaConsumer(opts: {
  bus: KafkaBus;
  saga: SagaCoordinator;
  adjustments: OrderAdjustments;
  groupId: string;
  topicPrefix: string;
  logger: Logger;
}): Promise<Subscription> {
  const consumer = sagaReplyConsumer(opts.groupId, new HandleSagaReply(opts.saga, opts.adjustments), opts.logger);
  return opts.bus.subscribe({
    groupId: consumerGroupName(opts.topicPrefix, consumer.name),
    topics: consumer.topics.map((t) => topicName(opts.topicPrefix, t)),
    fromBeginning: consumer.fromBeginning ?? true,
    handle: consumer.handle,
  });
}
