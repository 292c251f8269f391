import { isDomainError } from '@sudamall/shared';
import { notPayable } from './create-payment';
import type { UseCaseDeps } from './deps';

/**
 * Payments a crash or a gateway outage left `processing` with nobody coming back for them.
 * While the order can still be paid, the attempt is replayed with its own idempotency key (the
 * gateway answers with the first result if the charge got through, or charges now). Once the
 * order cannot be paid any more, nothing is charged: the attempt is closed as of unknown outcome
 * and the payment expires; if money did move, the gateway's webhook still completes it (a late
 * capture) and the saga refunds it.
 */
export async function resumeStalePayments(deps: UseCaseDeps): Promise<{ resumed: number; closed: number }> {
  const staleSeconds = deps.settings.staleProcessingSeconds;
  const stale = await deps.repo.findStaleProcessing(new Date(deps.clock.now().getTime() - staleSeconds * 1000), 20);
  let resumed = 0;
  let closed = 0;
  for (const { payment, paymentMethodId } of stale) {
    const gateway = deps.gateways.get(payment.gateway);
    let payable = false;
    try {
      const order = await deps.orders.getOrderForPayment(payment.orderReference);
      payable = order.payable && (!order.paymentExpiresAt || order.paymentExpiresAt.getTime() > deps.clock.now().getTime());
      if (!payable) deps.logger.info({ payment_id: payment.paymentId, reason: notPayable(order).code }, 'stale payment: order no longer payable');
    } catch (e) {
      if (!isDomainError(e) || e.kind !== 'not_found') continue; // order service unreachable: next sweep
    }
    const claim = await deps.repo.claimForProcessing({ paymentId: payment.paymentId, staleAfterSeconds: staleSeconds, cardLast4: null });
    if (!claim) continue; // someone else resumed it meanwhile
    if (!payable || !gateway) {
      await deps.repo.recordAttemptError(payment.paymentId, claim.attemptNumber, { code: 'OUTCOME_UNKNOWN', message: 'abandoned after a crash or outage' }, false);
      await deps.repo.closePayment(payment.paymentId, 'expired', 'payment_window_expired');
      closed += 1;
      continue;
    }
    try {
      const result = await gateway.charge({
        paymentId: payment.paymentId,
        orderId: payment.orderReference,
        attemptNumber: claim.attemptNumber,
        idempotencyKey: claim.idempotencyKey,
        amount: payment.totalAmount,
        currency: payment.currency,
        input: paymentMethodId ? { paymentMethodId } : {},
        previousReference: claim.payment.gatewayReference,
      });
      await deps.repo.recordChargeOutcome(payment.paymentId, claim.attemptNumber, result);
      resumed += 1;
    } catch (e) {
      const unknownOutcome = !isDomainError(e) || e.kind === 'unavailable';
      const code = isDomainError(e) ? e.code : 'GATEWAY_ERROR';
      await deps.repo.recordAttemptError(payment.paymentId, claim.attemptNumber, { code, message: (e as Error).message }, unknownOutcome);
      if (!unknownOutcome) closed += 1;
    }
  }
  if (stale.length > 0) deps.logger.info({ stale: stale.length, resumed, closed }, 'stale payments swept');
  return { resumed, closed };
}
