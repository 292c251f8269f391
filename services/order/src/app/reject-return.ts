import type { AuthUser } from '@sudamall/shared';
import { transitionAdjustment } from '../saga/adjustment.saga';
import { actorOf, lockedOrder } from './order-access';
import type { AdjustmentUnitOfWork } from './ports';
import { answerableReturn } from './return-answer';

/** The store's seller (or an admin) refuses a return, saying why; nothing is refunded or restocked. */
export class RejectReturn {
  constructor(private readonly uow: AdjustmentUnitOfWork) {}

  async execute(user: AuthUser, orderId: string, returnId: string, reason: string): Promise<void> {
    await this.uow.runAdjustment(async (tx) => {
      const order = await lockedOrder(tx, orderId);
      const ret = await answerableReturn(tx, order, user, returnId);
      await tx.saveAdjustment(transitionAdjustment(ret, 'rejected'), { decidedBy: actorOf(user), decisionReason: reason });
      await tx.appendStepLog(orderId, [{ step: 'return:answer', kind: 'reply', type: 'return.rejected', payload: { return_id: returnId, reason } }]);
    });
  }
}
