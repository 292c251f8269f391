import { assertCanCollect, paymentNotFound } from './access';
import type { Actor, UseCaseDeps } from './deps';
import type { PaymentRecord } from './records';

/**
 * Cash on delivery: an admin, or a seller of a store in the order, confirms the cash was
 * collected (pending → completed). The order's stores come from the order service, which owns them.
 */
export async function collectPayment(deps: UseCaseDeps, actor: Actor, paymentId: string): Promise<PaymentRecord> {
  const payment = await deps.payments.findPayment(paymentId);
  if (!payment) throw paymentNotFound(paymentId);
  if (actor.role !== 'admin') assertCanCollect(actor, await deps.orders.getOrderForPayment(payment.orderReference));
  const collected = await deps.payments.markCollected(paymentId, actor.id);
  deps.logger.info({ payment_id: paymentId, collected_by: actor.id }, 'cash on delivery collected');
  return collected;
}
