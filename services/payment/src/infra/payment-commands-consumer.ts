import { Topics, type AnyEnvelope } from '@sudamall/shared';
import type { Consumer } from '@sudamall/shared/service';
import type { Logger } from 'pino';
import type { PaymentUseCases } from '../container';

const COMMAND_TYPES = ['payment.void', 'payment.refund', 'payment.collect'] as const;
type CommandEnvelope = Extract<AnyEnvelope, { type: (typeof COMMAND_TYPES)[number] }>;

const isCommandType = (e: AnyEnvelope): e is CommandEnvelope => (COMMAND_TYPES as readonly string[]).includes(e.type);

const hasOrderId = (data: unknown): data is { order_id: string } =>
  typeof data === 'object' && data !== null && typeof (data as { order_id?: unknown }).order_id === 'string';

// void and refund need a reason; collect's amount is checked by the use case, which refuses a bad
// one as invalid so that the bus parks it (an order's cash must not be skipped silently).
const isWellFormed = (e: CommandEnvelope): boolean =>
  hasOrderId(e.data) && (e.type === 'payment.collect' || typeof (e.data as { reason?: unknown }).reason === 'string');

/**
 * payment.commands → use case, as the kernel subscribes it (group `payment-service`, prefixed).
 * Malformed or unknown messages are logged and skipped (never retried forever).
 */
export function paymentCommandsConsumer(useCases: Pick<PaymentUseCases, 'handlePaymentCommand'>, logger: Logger): Consumer {
  return {
    name: 'payment-service',
    topics: [Topics.paymentCommands],
    fromBeginning: true,
    handle: async (envelope: AnyEnvelope) => {
      if (!isCommandType(envelope)) {
        logger.warn({ type: envelope.type, id: envelope.id }, 'ignoring an unknown message type on payment.commands');
        return;
      }
      if (!isWellFormed(envelope)) {
        logger.error({ type: envelope.type, id: envelope.id }, 'malformed payment command skipped');
        return;
      }
      await useCases.handlePaymentCommand.execute(envelope);
    },
  };
}
