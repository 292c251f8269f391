import type { Envelope } from '@sudamall/shared';
import { executeRefund } from './refund-payment';
import type { UseCaseDeps } from './deps';
import type { CommandEffect } from './ports';

export const COMMANDS_CONSUMER = 'payment.commands';

/**
 * payment.void: cancel what is not captured (pending, failed); a completed payment is left to
 * payment.refund. payment.refund: refund everything left of the order's captured payment (the
 * saga's compensation when money arrives for a cancelled order). Both claim the inbox in the
 * transaction that records the decision, so a redelivered command changes nothing.
 */
export async function handlePaymentCommand(deps: UseCaseDeps, envelope: Envelope<'payment.void'> | Envelope<'payment.refund'>): Promise<CommandEffect> {
  const claim = { consumer: COMMANDS_CONSUMER, eventId: envelope.id };
  const { order_id: orderId, reason } = envelope.data;
  if (envelope.type === 'payment.void') {
    const effect = await deps.repo.voidForOrder(claim, orderId, reason);
    if (effect.kind === 'voided') {
      for (const p of effect.payments) {
        const gateway = deps.gateways.get(p.gateway);
        // Best effort: releasing an authorization the gateway still holds; the payment is cancelled either way.
        await gateway?.void({ paymentId: p.paymentId, transactionId: p.gatewayTransactionId, reference: p.gatewayReference }).catch((e: Error) =>
          deps.logger.warn({ payment_id: p.paymentId, err: e.message }, 'gateway void failed'),
        );
      }
    }
    deps.logger.info({ order_id: orderId, effect: effect.kind }, 'payment.void handled');
    return effect;
  }
  const effect = await deps.repo.refundForOrder(claim, orderId, reason);
  if (effect.kind === 'refund_reserved') {
    const done = await executeRefund(deps, effect.reservation, true);
    deps.logger.info({ order_id: orderId, refund_id: done.refund.refundId, status: done.refund.status }, 'payment.refund handled');
    return { kind: 'refund_reserved', reservation: done };
  }
  deps.logger.info({ order_id: orderId, effect: effect.kind }, 'payment.refund handled');
  return effect;
}
