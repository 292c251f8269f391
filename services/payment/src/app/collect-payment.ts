import { paymentNotFound } from './access';
import type { Actor, UseCaseDeps } from './deps';
import type { PaymentRecord } from './records';

/** Cash on delivery: a seller or admin confirms the cash was collected (pending → completed). */
export async function collectPayment(deps: UseCaseDeps, actor: Actor, paymentId: string): Promise<PaymentRecord> {
  const payment = await deps.repo.findPayment(paymentId);
  if (!payment) throw paymentNotFound(paymentId);
  const collected = await deps.repo.markCollected(paymentId, actor.id);
  deps.logger.info({ payment_id: paymentId, collected_by: actor.id }, 'cash on delivery collected');
  return collected;
}
