import { notFound, type AuthUser } from '@sudamall/shared';
import { assertCollectable } from '../domain/cash-collection';
import { feeShares, partRefund } from '../domain/fee-share';
import { transitionFulfillment, type FulfillmentStatus } from '../domain/fulfillment';
import type { OrderStatus } from '../domain/order-status';
import { cashOnDeliveryFee, requireStorePart, sendCollectionIfDue } from './cash-collection';
import { assertNoCancellationRunning, type OrderAdjustments } from './order-adjustments';
import { actorOf, lockedOrder } from './order-access';
import { moveFulfillments, orderFollowsFulfillments } from './order-events';
import type { AdjustmentUnitOfWork } from './ports';

/** Cash on delivery: the store's part delivered and its cash (its lines plus its fee share) collected. */
export class CollectCash {
  constructor(
    private readonly uow: AdjustmentUnitOfWork,
    private readonly adjustments: OrderAdjustments,
  ) {}

  async execute(user: AuthUser, orderId: string, storeId: string): Promise<OrderStatus> {
    const fee = await cashOnDeliveryFee(this.adjustments, orderId);
    return this.uow.runAdjustment(async (tx) => {
      const order = await lockedOrder(tx, orderId);
      requireStorePart(order, user, storeId);
      const [fulfillments, parts] = [await tx.fulfillmentsOf(orderId), await tx.fulfillmentPartsOf(orderId)];
      const f = fulfillments.find((x) => x.storeId === storeId);
      const part = parts.find((p) => p.storeId === storeId);
      if (!f || !part) throw notFound('FULFILLMENT_NOT_FOUND', `store ${storeId} has no part in order ${orderId}`, { store_id: storeId });
      assertNoCancellationRunning(await tx.adjustmentsOf(orderId), [storeId]);
      assertCollectable(storeId, f.status, part.collectedAmount);
      const by = actorOf(user);
      if (f.status === 'shipped') {
        transitionFulfillment(storeId, f.status, 'delivered', by.role);
        await moveFulfillments(tx, order, [{ storeId, from: 'shipped', to: 'delivered' }], by, 'cash collected');
      }
      await tx.markCollected(orderId, storeId, partRefund(part.subtotal, feeShares(fee, parts).get(storeId) ?? '0.00'));
      const after = fulfillments.map<FulfillmentStatus>((x) => (x.storeId === storeId ? 'delivered' : x.status));
      const next = await orderFollowsFulfillments(tx, order, after, by);
      await sendCollectionIfDue(tx, orderId);
      return next ?? order.status;
    });
  }
}
