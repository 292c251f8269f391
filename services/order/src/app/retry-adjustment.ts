import { conflict, notFound, type Logger } from '@sudamall/shared';
import type { AdjustmentSnapshot } from '../saga/adjustment.saga';
import type { OrderAdjustments } from './order-adjustments';
import type { ActorRef, AdjustmentUnitOfWork } from './ports';

/**
 * An operator's retry of an adjustment still running (a refund the gateway refused, a command
 * never answered): its command is sent again at once; payment makes a new attempt of a refused
 * refund under the same key.
 */
export class RetryAdjustment {
  constructor(
    private readonly uow: AdjustmentUnitOfWork,
    private readonly adjustments: OrderAdjustments,
    private readonly logger: Logger,
  ) {}

  async execute(adjustmentId: string, by: ActorRef): Promise<AdjustmentSnapshot> {
    return this.uow.runAdjustment(async (tx) => {
      const orderId = await tx.orderOfAdjustment(adjustmentId);
      const locked = orderId ? await this.adjustments.lockAdjustment(tx, orderId, adjustmentId) : null;
      if (!locked) throw notFound('ADJUSTMENT_NOT_FOUND', `no cancellation or return ${adjustmentId}`, { adjustment_id: adjustmentId });
      const { adjustment } = locked;
      if (adjustment.awaiting.length === 0) {
        throw conflict('ADJUSTMENT_NOT_RUNNING', `${adjustment.kind} ${adjustmentId} is ${adjustment.status}: nothing to retry`, {
          adjustment_id: adjustmentId,
          status: adjustment.status,
        });
      }
      const applied = await this.adjustments.applyLocked(tx, locked.order, adjustment, { kind: 'operator_retry', by: by.id });
      this.logger.info({ order_id: orderId, adjustment_id: adjustmentId, by: by.id }, 'adjustment retried by an operator');
      return applied.adjustment;
    });
  }
}
