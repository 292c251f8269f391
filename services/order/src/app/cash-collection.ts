// Cash on delivery, run by each store: its seller delivers the store's part and takes its cash in
// one step (collect-cash.ts), or records that the buyer refused it (refuse-delivery.ts: the part
// is cancelled and its units go back). What both use, and what completes the order's payment.
import { conflict, createEnvelope, forbidden, Topics, type AuthUser } from '@sudamall/shared';
import { collectionDue } from '../domain/cash-collection';
import type { OrderAdjustments } from './order-adjustments';
import { requireAccess, type Access } from './order-access';
import type { AdjustmentTx } from './ports';

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

/** The order's payment must be cash on delivery; returns its fee (the parts share it). */
export async function cashOnDeliveryFee(adjustments: Pick<OrderAdjustments, 'payment'>, orderId: string): Promise<string> {
  const payment = await adjustments.payment(orderId);
  if (payment.gateway !== CASH_ON_DELIVERY) {
    throw conflict('NOT_CASH_ON_DELIVERY', 'this order was not paid cash on delivery', { order_id: orderId, gateway: payment.gateway || null });
  }
  return payment.fee;
}

/** A seller of that very store, or an admin. */
export function requireStorePart(order: Parameters<typeof requireAccess>[0], user: AuthUser, storeId: string): Access {
  const access = requireAccess(order, user, ['seller', 'admin']);
  if (access === 'seller' && user.storeId !== storeId) throw forbidden('FORBIDDEN', "another store's part is not yours to deliver", { store_id: storeId });
  return access;
}
