import { isDomainError } from '@sudamall/shared';
import { duplicateCaptureRefundKey } from '../domain/idempotency';
import type { Logger } from 'pino';
import type { Clock, DuplicateCaptureStore, GatewayRegistry } from './ports';
import type { DuplicateCaptureRecord, DuplicateCaptureStatus } from './records';

/**
 * Gives back a second capture (the buyer paid twice): a full refund of that gateway transaction,
 * never of the capture the payment keeps. One idempotency key per duplicate, so a retry after a
 * timeout, or two sweeps at once, refund it once at the gateway. An unknown outcome (timeout,
 * outage) leaves it refund_pending for the next sweep; only a definite refusal is refund_failed,
 * which the saga dashboard shows for an operator.
 */
export class RefundDuplicateCaptures {
  constructor(
    private readonly duplicateCaptures: DuplicateCaptureStore,
    private readonly gateways: GatewayRegistry,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly staleProcessingSeconds: number,
  ) {}

  /** Refunds every duplicate capture still waiting (of one payment, or all: the recovery sweep). */
  async execute(paymentId: string | null = null, limit = 20): Promise<DuplicateCaptureRecord[]> {
    const waiting = await this.duplicateCaptures.findDuplicateCapturesToRefund(paymentId, limit);
    const out: DuplicateCaptureRecord[] = [];
    for (const dup of waiting) out.push(await this.refundOne(dup));
    return out;
  }

  /** One duplicate capture (the class comment). */
  async refundOne(found: DuplicateCaptureRecord): Promise<DuplicateCaptureRecord> {
    // One call at a time: the lease outlasts the longest gateway call (the stale window does).
    const leaseFrom = new Date(this.clock.now().getTime() - this.staleProcessingSeconds * 1000);
    const dup = await this.duplicateCaptures.claimDuplicateCaptureRefund(found.id, leaseFrom);
    if (!dup) return found; // another worker is sending it, or it is settled
    const gateway = this.gateways.get(dup.gateway);
    if (!gateway) {
      this.logger.error({ duplicate_capture_id: dup.id, gateway: dup.gateway }, 'duplicate capture: gateway not configured, refund waits');
      return this.duplicateCaptures.recordDuplicateCaptureRefund(dup.id, { kind: 'error', code: 'GATEWAY_NOT_AVAILABLE', final: false });
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
      const done = await this.duplicateCaptures.recordDuplicateCaptureRefund(dup.id, { kind: 'refunded', gatewayRefundId: result.gatewayRefundId });
      this.logger.warn(
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
      this.logger.error(
        { duplicate_capture_id: dup.id, payment_id: dup.paymentId, code, err: (e as Error).message, retried: unknownOutcome },
        'duplicate capture refund failed',
      );
      return this.duplicateCaptures.recordDuplicateCaptureRefund(dup.id, { kind: 'error', code, final: !unknownOutcome });
    }
  }

  /** Refunds a duplicate capture just recorded, without failing the caller (the sweep retries it). */
  async refundDetected(paymentId: string): Promise<void> {
    try {
      await this.execute(paymentId);
    } catch (err) {
      this.logger.error({ err, payment_id: paymentId }, 'duplicate capture refund deferred to the sweep');
    }
  }
}

/** The admin list of duplicate captures (the saga dashboard). */
export class ListDuplicateCaptures {
  constructor(private readonly duplicateCaptures: DuplicateCaptureStore) {}

  execute(filter: { status?: DuplicateCaptureStatus; orderId?: string; limit?: number } = {}): Promise<DuplicateCaptureRecord[]> {
    return this.duplicateCaptures.listDuplicateCaptures({ status: filter.status, orderReference: filter.orderId, limit: Math.min(filter.limit ?? 100, 500) });
  }
}
