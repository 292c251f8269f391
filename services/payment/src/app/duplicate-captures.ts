import { isDomainError } from '@sudamall/shared';
import { duplicateCaptureRefundKey } from '../domain/idempotency';
import type { UseCaseDeps } from './deps';
import type { DuplicateCaptureRecord, DuplicateCaptureStatus } from './records';

/**
 * Gives back a second capture (the buyer paid twice): a full refund of that gateway transaction,
 * never of the capture the payment keeps. One idempotency key per duplicate, so a retry after a
 * timeout, or two sweeps at once, refund it once at the gateway. An unknown outcome (timeout,
 * outage) leaves it refund_pending for the next sweep; only a definite refusal is refund_failed,
 * which the saga dashboard shows for an operator.
 */
export async function refundDuplicateCapture(deps: UseCaseDeps, found: DuplicateCaptureRecord): Promise<DuplicateCaptureRecord> {
  // One call at a time: the lease outlasts the longest gateway call (the stale window does).
  const leaseFrom = new Date(deps.clock.now().getTime() - deps.settings.staleProcessingSeconds * 1000);
  const dup = await deps.duplicateCaptures.claimDuplicateCaptureRefund(found.id, leaseFrom);
  if (!dup) return found; // another worker is sending it, or it is settled
  const gateway = deps.gateways.get(dup.gateway);
  if (!gateway) {
    deps.logger.error({ duplicate_capture_id: dup.id, gateway: dup.gateway }, 'duplicate capture: gateway not configured, refund waits');
    return deps.duplicateCaptures.recordDuplicateCaptureRefund(dup.id, { kind: 'error', code: 'GATEWAY_NOT_AVAILABLE', final: false });
  }
  try {
    const result = await gateway.refund({
      paymentId: dup.paymentId,
      refundId: dup.id,
      idempotencyKey: duplicateCaptureRefundKey(dup.id),
      transactionId: dup.transactionId,
      reference: null,
      amount: dup.amount,
      currency: dup.currency,
      reason: 'duplicate_capture',
    });
    const done = await deps.duplicateCaptures.recordDuplicateCaptureRefund(dup.id, { kind: 'refunded', gatewayRefundId: result.gatewayRefundId });
    deps.logger.warn(
      {
        duplicate_capture_id: dup.id,
        payment_id: dup.paymentId,
        order_id: dup.orderReference,
        transaction_id: dup.transactionId,
        gateway_refund_id: result.gatewayRefundId,
      },
      'duplicate capture refunded',
    );
    return done;
  } catch (e) {
    const unknownOutcome = !isDomainError(e) || e.kind === 'unavailable';
    const code = isDomainError(e) ? e.code : 'GATEWAY_ERROR';
    deps.logger.error(
      { duplicate_capture_id: dup.id, payment_id: dup.paymentId, code, err: (e as Error).message, retried: unknownOutcome },
      'duplicate capture refund failed',
    );
    return deps.duplicateCaptures.recordDuplicateCaptureRefund(dup.id, { kind: 'error', code, final: !unknownOutcome });
  }
}

/** Refunds every duplicate capture still waiting (of one payment, or all: the recovery sweep). */
export async function refundDuplicateCaptures(deps: UseCaseDeps, paymentId: string | null = null, limit = 20): Promise<DuplicateCaptureRecord[]> {
  const waiting = await deps.duplicateCaptures.findDuplicateCapturesToRefund(paymentId, limit);
  const out: DuplicateCaptureRecord[] = [];
  for (const dup of waiting) out.push(await refundDuplicateCapture(deps, dup));
  return out;
}

/** Refunds a duplicate capture just recorded, without failing the caller (the sweep retries it). */
export async function refundDetectedDuplicate(deps: UseCaseDeps, paymentId: string): Promise<void> {
  try {
    await refundDuplicateCaptures(deps, paymentId);
  } catch (err) {
    deps.logger.error({ err, payment_id: paymentId }, 'duplicate capture refund deferred to the sweep');
  }
}

export function listDuplicateCaptures(
  deps: UseCaseDeps,
  filter: { status?: DuplicateCaptureStatus; orderId?: string; limit?: number } = {},
): Promise<DuplicateCaptureRecord[]> {
  return deps.duplicateCaptures.listDuplicateCaptures({ status: filter.status, orderReference: filter.orderId, limit: Math.min(filter.limit ?? 100, 500) });
}
