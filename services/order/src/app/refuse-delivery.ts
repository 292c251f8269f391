import type { AuthUser } from '@sudamall/shared';
import { cashOnDeliveryFee, requireStorePart } from './cash-collection';
import type { OrderAdjustments } from './order-adjustments';
import { lockedOrder } from './order-access';
import type { AdjustmentUnitOfWork } from './ports';

/** Cash on delivery: the buyer refused the store's shipped part at the door; it is cancelled (nothing was paid) and its units restocked. */
export class RefuseDelivery {
  constructor(
    private readonly uow: AdjustmentUnitOfWork,
    private readonly adjustments: OrderAdjustments,
  ) {}

  async execute(user: AuthUser, orderId: string, storeId: string, reason: string): Promise<void> {
    const fee = await cashOnDeliveryFee(this.adjustments, orderId);
    await this.uow.runAdjustment(async (tx) => {
      const order = await lockedOrder(tx, orderId);
      const access = requireStorePart(order, user, storeId);
      await this.adjustments.startCancellation(tx, order, user, access, reason, fee, { refusedDeliveryOf: storeId });
    });
  }
}
