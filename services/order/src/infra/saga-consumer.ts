import { Topics, type Logger } from '@sudamall/shared';
import type { Consumer } from '@sudamall/shared/service';
import { SAGA_INBOX_CONSUMER, type HandleSagaReply } from '../app/handle-saga-reply';

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
    // Under load the replies queue up: those fetched together share a transaction.
    handleBatch: async (items) => {
      await handleReply.executeBatch(items);
      logger.debug({ replies: items.length }, 'saga replies, batched');
    },
  };
}
