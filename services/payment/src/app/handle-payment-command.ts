import type { Envelope } from '@sudamall/shared';
import { collectedAmount } from '../domain/cash-collection';
import { keyedRefundRequest } from '../domain/keyed-refunds';
import type { Logger } from 'pino';
import type { CommandEffect, GatewayRegistry, OrderCommandStore, RefundQueue } from './ports';

export const COMMANDS_CONSUMER = 'payment.commands';

/**
 * payment.void: cancel what is not captured (pending, failed); a completed payment is left to
 * payment.refund. payment.refund: reserve a refund of everything left of the order's captured
 * payment (the saga's compensation when money arrives for a cancelled order), or, with a
 * refund_key, of `amount` of it (a part cancelled after payment, a return) once per key.
 * payment.collect: complete the order's cash payment for what the stores collected (no gateway
 * involved: the cash is in the stores' hands). Each claims the inbox in the transaction that
 * records the decision, so a redelivered command changes nothing.
 *
 * No gateway call happens here: this runs inside a Kafka handler, whose group session (10 s)
 * a slow gateway (up to a minute) would outlast, so the member would be thrown out and the
 * partition rebalanced mid-call. The committed refund is handed to the refund queue (sent at
 * once, outside the consumer loop; payment.refunded follows its completion), and without a
 * queue the recovery sweep sends it.
 */
export class HandlePaymentCommand {
  constructor(
    private readonly orderCommands: OrderCommandStore,
    private readonly gateways: GatewayRegistry,
    private readonly logger: Logger,
    /** Saga refunds and voids are sent outside the Kafka handler (the container's RefundWorker); without it, by the sweep. */
    private readonly refundQueue?: RefundQueue,
  ) {}

  async execute(envelope: Envelope<'payment.void'> | Envelope<'payment.refund'> | Envelope<'payment.collect'>): Promise<CommandEffect> {
    const claim = { consumer: COMMANDS_CONSUMER, eventId: envelope.id };
    if (envelope.type === 'payment.collect') return this.collectForOrder(claim, envelope.data);
    const { order_id: orderId, reason } = envelope.data;
    if (envelope.type === 'payment.void') {
      const effect = await this.orderCommands.voidForOrder(claim, orderId, reason);
      if (effect.kind === 'voided') {
        for (const p of effect.payments) {
          const gateway = this.gateways.get(p.gateway);
          if (!gateway) continue;
          // Best effort: releasing an authorization the gateway still holds; the payment is cancelled either way.
          const release = () =>
            gateway
              .void({ paymentId: p.paymentId, transactionId: p.gatewayTransactionId, reference: p.gatewayReference })
              .catch((e: Error) => this.logger.warn({ payment_id: p.paymentId, err: e.message }, 'gateway void failed'));
          if (this.refundQueue) this.refundQueue.detach(`void ${p.paymentId}`, release);
          else await release();
        }
      }
      this.logger.info({ order_id: orderId, effect: effect.kind }, 'payment.void handled');
      return effect;
    }
    // Checked before anything is claimed: a malformed key or amount throws (invalid), so the bus
    // parks the command for an operator instead of refunding a guess.
    const keyed = keyedRefundRequest(envelope.data);
    const effect = keyed
      ? await this.orderCommands.refundKeyedForOrder(claim, orderId, reason, keyed)
      : await this.orderCommands.refundForOrder(claim, orderId, reason);
    const key = keyed ? { refund_key: keyed.refundKey } : {};
    if (effect.kind === 'refund_reserved') {
      const { refund } = effect.reservation;
      this.refundQueue?.wake(refund.refundId);
      if (effect.requested !== undefined) {
        // The sender asked for more than is left of the captured payment: only what is left goes back.
        this.logger.warn(
          { order_id: orderId, ...key, refund_id: refund.refundId, requested: effect.requested, amount: refund.amount },
          'payment.refund amount clamped to what is left',
        );
      }
      this.logger.info({ order_id: orderId, ...key, refund_id: refund.refundId, amount: refund.amount }, 'payment.refund recorded');
      return effect;
    }
    this.logger.info(
      { order_id: orderId, ...key, effect: effect.kind, ...(effect.kind === 'nothing' ? { reason: effect.reason } : {}) },
      'payment.refund handled',
    );
    return effect;
  }

  private async collectForOrder(claim: { consumer: string; eventId: string }, data: Envelope<'payment.collect'>['data']): Promise<CommandEffect> {
    const orderId = data.order_id;
    // A malformed amount throws (invalid) before anything is claimed: parked, never guessed. So
    // does an amount above the payment's total, from inside the transaction, which rolls back.
    const amount = collectedAmount(data);
    const effect = await this.orderCommands.collectForOrder(claim, orderId, amount);
    if (effect.kind === 'collected') {
      const { payment } = effect;
      const fields = { order_id: orderId, payment_id: payment.paymentId, amount, total_amount: payment.totalAmount };
      if (effect.orderedTotalAmount !== undefined) {
        this.logger.info(
          { ...fields, ordered_total_amount: effect.orderedTotalAmount },
          'cash on delivery collected for less than ordered (a part was refused)',
        );
      } else this.logger.info(fields, 'cash on delivery collected');
      return effect;
    }
    this.logger.info(
      { order_id: orderId, amount, effect: effect.kind, ...(effect.kind === 'nothing' ? { reason: effect.reason } : {}) },
      'payment.collect handled',
    );
    return effect;
  }
}
