import type { Envelope } from '@sudamall/shared';
import type { UseCaseDeps } from './deps';
import type { CommandEffect } from './ports';

export const COMMANDS_CONSUMER = 'payment.commands';

/**
 * payment.void: cancel what is not captured (pending, failed); a completed payment is left to
 * payment.refund. payment.refund: reserve a refund of everything left of the order's captured
 * payment (the saga's compensation when money arrives for a cancelled order). Both claim the
 * inbox in the transaction that records the decision, so a redelivered command changes nothing.
 *
 * No gateway call happens here: this runs inside a Kafka handler, whose group session (10 s)
 * a slow gateway (up to a minute) would outlast, so the member would be thrown out and the
 * partition rebalanced mid-call. The committed refund is handed to the refund queue (sent at
 * once, outside the consumer loop; payment.refunded follows its completion), and without a
 * queue the recovery sweep sends it.
 */
export async function handlePaymentCommand(deps: UseCaseDeps, envelope: Envelope<'payment.void'> | Envelope<'payment.refund'>): Promise<CommandEffect> {
  const claim = { consumer: COMMANDS_CONSUMER, eventId: envelope.id };
  const { order_id: orderId, reason } = envelope.data;
  if (envelope.type === 'payment.void') {
    const effect = await deps.repo.voidForOrder(claim, orderId, reason);
    if (effect.kind === 'voided') {
      for (const p of effect.payments) {
        const gateway = deps.gateways.get(p.gateway);
        if (!gateway) continue;
        // Best effort: releasing an authorization the gateway still holds; the payment is cancelled either way.
        const release = () =>
          gateway
            .void({ paymentId: p.paymentId, transactionId: p.gatewayTransactionId, reference: p.gatewayReference })
            .catch((e: Error) => deps.logger.warn({ payment_id: p.paymentId, err: e.message }, 'gateway void failed'));
        if (deps.refundQueue) deps.refundQueue.detach(`void ${p.paymentId}`, release);
        else await release();
      }
    }
    deps.logger.info({ order_id: orderId, effect: effect.kind }, 'payment.void handled');
    return effect;
  }
  const effect = await deps.repo.refundForOrder(claim, orderId, reason);
  if (effect.kind === 'refund_reserved') {
    deps.refundQueue?.wake(effect.reservation.refund.refundId);
    deps.logger.info({ order_id: orderId, refund_id: effect.reservation.refund.refundId }, 'payment.refund recorded');
    return effect;
  }
  deps.logger.info({ order_id: orderId, effect: effect.kind }, 'payment.refund handled');
  return effect;
}
