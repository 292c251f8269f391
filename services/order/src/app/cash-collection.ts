import { conflict, createEnvelope, forbidden, notFound, Topics, type AuthUser } from '@sudamall/shared';
import { assertCollectable, collectionDue } from '../domain/cash-collection';
import { orderNotFound } from '../domain/errors';
import { feeShares, partRefund } from '../domain/fee-share';
import { assertFulfillmentTransition, type FulfillmentStatus } from '../domain/fulfillment';
import type { OrderStatus } from '../domain/order-status';
import { assertNoCancellationRunning, type OrderAdjustments } from './order-adjustments';
import { actorOf, requireAccess } from './order-access';
import { moveFulfillments, orderFollowsFulfillments } from './order-events';
import type { AdjustmentTx, AdjustmentUnitOfWork } from './ports';

export const CASH_ON_DELIVERY = 'cash_on_delivery';

/**
 * Once every part not cancelled has collected its cash, asks payment to complete the order's cash
 * payment for what was collected (payment.collect, applied once per order).
 */
export async function sendCollectionIfDue(tx: AdjustmentTx, orderId: string): Promise<void> {
  const [fulfillments, parts] = [await tx.fulfillmentsOf(orderId), await tx.fulfillmentPartsOf(orderId)];
  const amount = collectionDue(
    fulfillments.map((f) => ({ status: f.status, collectedAmount: parts.find((p) => p.storeId === f.storeId)?.collectedAmount ?? null })),
  );
  if (amount !== null) await tx.enqueue(Topics.paymentCommands, createEnvelope('payment.collect', orderId, { order_id: orderId, amount }));
}

/**
 * Cash on delivery, run by each store: its seller delivers the store's part and takes its cash
 * in one step, or records that the buyer refused it (the part is cancelled and its units go back).
 */
export class CashCollection {
  constructor(
    private readonly uow: AdjustmentUnitOfWork,
    private readonly adjustments: OrderAdjustments,
  ) {}

  /** The order's payment must be cash on delivery; returns its fee (the parts share it). */
  private async cashFee(orderId: string): Promise<string> {
    const payment = await this.adjustments.payment(orderId);
    if (payment.gateway !== CASH_ON_DELIVERY) {
      throw conflict('NOT_CASH_ON_DELIVERY', 'this order was not paid cash on delivery', { order_id: orderId, gateway: payment.gateway || null });
    }
    return payment.fee;
  }

  /** The store's part delivered and its cash (its lines plus its fee share) collected. */
  async collect(user: AuthUser, orderId: string, storeId: string): Promise<OrderStatus> {
    const fee = await this.cashFee(orderId);
    return this.uow.runAdjustment(async (tx) => {
      const locked = await tx.lockSaga(orderId);
      if (!locked) throw orderNotFound(orderId);
      const { order } = locked;
      this.authorize(order, user, storeId);
      const [fulfillments, parts] = [await tx.fulfillmentsOf(orderId), await tx.fulfillmentPartsOf(orderId)];
      const f = fulfillments.find((x) => x.storeId === storeId);
      const part = parts.find((p) => p.storeId === storeId);
      if (!f || !part) throw notFound('FULFILLMENT_NOT_FOUND', `store ${storeId} has no part in order ${orderId}`, { store_id: storeId });
      assertNoCancellationRunning(await tx.adjustmentsOf(orderId), [storeId]);
      assertCollectable(storeId, f.status, part.collectedAmount);
      const by = actorOf(user);
      if (f.status === 'shipped') {
        assertFulfillmentTransition(storeId, f.status, 'delivered', by.role);
        await moveFulfillments(tx, order, [{ storeId, from: 'shipped', to: 'delivered' }], by, 'cash collected');
      }
      await tx.markCollected(orderId, storeId, partRefund(part.subtotal, feeShares(fee, parts).get(storeId) ?? '0.00'));
      const after = fulfillments.map((x) => (x.storeId === storeId ? 'delivered' : x.status)) as FulfillmentStatus[];
      const next = await orderFollowsFulfillments(tx, order, after, by);
      await sendCollectionIfDue(tx, orderId);
      return next ?? order.status;
    });
  }

  /** The buyer refused the store's shipped part at the door: it is cancelled (nothing was paid) and its units restocked. */
  async refuse(user: AuthUser, orderId: string, storeId: string, reason: string): Promise<void> {
    const fee = await this.cashFee(orderId);
    await this.uow.runAdjustment(async (tx) => {
      const locked = await tx.lockSaga(orderId);
      if (!locked) throw orderNotFound(orderId);
      const access = this.authorize(locked.order, user, storeId);
      await this.adjustments.startCancellation(tx, locked.order, user, access, reason, fee, { refusedDeliveryOf: storeId });
    });
  }

  /** A seller of that very store, or an admin. */
  private authorize(order: Parameters<typeof requireAccess>[0], user: AuthUser, storeId: string) {
    const access = requireAccess(order, user, ['seller', 'admin']);
    if (access === 'seller' && user.storeId !== storeId) throw forbidden('FORBIDDEN', "another store's part is not yours to deliver", { store_id: storeId });
    return access;
  }
}
