import { runsOfDistinctKeys, type Envelope } from '@sudamall/shared';
import { isUuid } from '../domain/errors';
import { adjustmentIdOf, type OrderAdjustments } from './order-adjustments';
import { SAGA_REPLY_TYPES, type ReplyInBatch, type SagaCoordinator } from './saga-coordinator';

/** The inbox consumer name: one saga consumer per deployment, whatever its group id. */
export const SAGA_INBOX_CONSUMER = 'order-saga';

export type ReplyOutcome = 'applied' | 'duplicate' | 'unknown_order' | 'ignored';

/**
 * A participant's reply (inventory.events, payment.events) → the saga it answers: an
 * adjustment's (a cancellation after payment or a return, named by the reply's refund_key or
 * restock_id) or the order's checkout saga. Each records the event in the inbox in the same
 * transaction as its effect, so a redelivery is a no-op.
 */
export class HandleSagaReply {
  constructor(
    private readonly saga: SagaCoordinator,
    private readonly adjustments: OrderAdjustments,
  ) {}

  execute(envelope: Envelope): Promise<ReplyOutcome> {
    return adjustmentIdOf(envelope) ? this.adjustments.handleReply(SAGA_INBOX_CONSUMER, envelope) : this.saga.handleReply(SAGA_INBOX_CONSUMER, envelope);
  }

  /**
   * Replies fetched together from one partition, in their order. Runs of checkout-saga replies go
   * through one transaction each (SagaCoordinator.handleReplies), a run ending before an order it
   * already holds (its next reply must see the saga the previous one wrote); an adjustment's reply,
   * or one naming no valid order, is handled alone in its place. Replies neither saga listens to
   * are skipped, as execute skips them: an adjustment answers to types of its own (stock.restocked
   * is no checkout saga's reply), so it is heard by its id, not by SAGA_REPLY_TYPES.
   */
  async executeBatch(replies: readonly ReplyInBatch[]): Promise<void> {
    const heard = replies.filter((r) => adjustmentIdOf(r.envelope) || SAGA_REPLY_TYPES.has(r.envelope.type));
    for (const part of runsOfDistinctKeys(heard, (r) => checkoutOrderOf(r.envelope))) {
      if ('run' in part) await this.saga.handleReplies(SAGA_INBOX_CONSUMER, part.run);
      else await part.alone.within(() => this.execute(part.alone.envelope));
    }
  }
}

/** The order a checkout-saga reply names, when it can join a batch (undefined: an adjustment's reply, or no valid order id). */
function checkoutOrderOf(envelope: Envelope): string | undefined {
  const orderId = (envelope.data as { order_id?: unknown }).order_id;
  return !adjustmentIdOf(envelope) && typeof orderId === 'string' && isUuid(orderId) ? orderId : undefined;
}
