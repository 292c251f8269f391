import type { Envelope } from '@sudamall/shared';
import { adjustmentIdOf, type OrderAdjustments } from './order-adjustments';
import type { SagaCoordinator } from './saga-coordinator';

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
}
