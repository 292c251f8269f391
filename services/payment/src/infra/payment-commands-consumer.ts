import { topicName, Topics, type AnyEnvelope, type KafkaBus, type Subscription } from '@sudamall/shared';
import { handlePaymentCommand } from '../app/handle-payment-command';
import type { UseCaseDeps } from '../app/deps';

const isOrderCommand = (data: unknown): data is { order_id: string; reason: string } =>
  typeof data === 'object' && data !== null && typeof (data as { order_id?: unknown }).order_id === 'string' &&
  typeof (data as { reason?: unknown }).reason === 'string';

/** payment.commands → use case. Malformed or unknown messages are logged and skipped (never retried forever). */
export async function startPaymentCommandsConsumer(deps: UseCaseDeps, bus: KafkaBus, topicPrefix: string, groupId: string): Promise<Subscription> {
  return bus.subscribe({
    groupId,
    topics: [topicName(topicPrefix, Topics.paymentCommands)],
    fromBeginning: true,
    handle: async (envelope: AnyEnvelope) => {
      if (envelope.type !== 'payment.void' && envelope.type !== 'payment.refund') {
        deps.logger.warn({ type: envelope.type, id: envelope.id }, 'ignoring an unknown message type on payment.commands');
        return;
      }
      if (!isOrderCommand(envelope.data)) {
        deps.logger.error({ type: envelope.type, id: envelope.id }, 'malformed payment command skipped');
        return;
      }
      await handlePaymentCommand(deps, envelope);
    },
  });
}
