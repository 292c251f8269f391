import type { AuthUser } from '@sudamall/shared';
import { feeShares, returnRefund } from '../domain/fee-share';
import { returnedValue } from '../domain/returns';
import type { OrderAdjustments } from './order-adjustments';
import { actorOf, lockedOrder } from './order-access';
import type { AdjustmentUnitOfWork } from './ports';
import { answerableReturn } from './return-answer';

/** The store's seller (or an admin) approves a return: the adjustment saga refunds the lines and their fee share, and restocks if asked. */
export class ApproveReturn {
  constructor(
    private readonly uow: AdjustmentUnitOfWork,
    private readonly adjustments: OrderAdjustments,
  ) {}

  async execute(user: AuthUser, orderId: string, returnId: string, restock: boolean): Promise<void> {
    // What the buyer paid in fees is a question for the payment service, asked before any lock.
    const { fee } = await this.adjustments.payment(orderId);
    await this.uow.runAdjustment(async (tx) => {
      const order = await lockedOrder(tx, orderId);
      const ret = await answerableReturn(tx, order, user, returnId);
      const [lines, parts] = [await tx.linesOf(orderId), await tx.fulfillmentPartsOf(orderId)];
      const part = parts.find((p) => p.storeId === ret.storeId);
      const share = feeShares(fee, parts).get(ret.storeId ?? '') ?? '0.00';
      const refundAmount = returnRefund(returnedValue(lines, ret.lines), { subtotal: part?.subtotal ?? '0.00', feeShare: share });
      await this.adjustments.begin(tx, order, { ...ret, restock, refundAmount }, { decidedBy: actorOf(user) });
    });
  }
}
