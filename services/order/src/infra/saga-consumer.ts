import { consumerGroupName, topicName, Topics, type KafkaBus, type Logger, type Subscription } from '@sudamall/shared';
import { adjustmentIdOf, type OrderAdjustments } from '../app/order-adjustments';
import type { SagaCoordinator } from '../app/saga-coordinator';

/** The inbox consumer name: one saga consumer per deployment, whatever its group id. */
export const SAGA_INBOX_CONSUMER = 'order-saga';

/**
 * Participants' replies (inventory.events, payment.events) → the saga they answer: an
 * adjustment's (a cancellation after payment or a return, named by the reply's refund_key or
 * restock_id) or the order's checkout saga. Thin: each records the event in the inbox in the same
 * transaction as its effect, so redeliveries are no-ops. A handler that throws is retried by the
 * bus (never skipped).
 */
export async function startSagaConsumer(opts: {
  bus: KafkaBus;
  saga: SagaCoordinator;
  adjustments: OrderAdjustments;
  groupId: string;
  topicPrefix: string;
  logger: Logger;
}): Promise<Subscription> {
  return opts.bus.subscribe({
    groupId: consumerGroupName(opts.topicPrefix, opts.groupId),
    topics: [topicName(opts.topicPrefix, Topics.inventoryEvents), topicName(opts.topicPrefix, Topics.paymentEvents)],
    fromBeginning: true,
    handle: async (envelope) => {
      const outcome = adjustmentIdOf(envelope)
        ? await opts.adjustments.handleReply(SAGA_INBOX_CONSUMER, envelope)
        : await opts.saga.handleReply(SAGA_INBOX_CONSUMER, envelope);
      if (outcome !== 'ignored') opts.logger.debug({ type: envelope.type, key: envelope.key, outcome }, 'saga reply');
    },
  });
}
