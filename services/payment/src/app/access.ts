import { forbidden, notFound } from '@sudamall/shared';
import type { Actor } from './deps';
import type { OrderForPayment } from './ports';
import type { PaymentRecord } from './records';

/** The payer sees and acts on their payment; admins see everything. */
export function assertCanSee(actor: Actor, payment: PaymentRecord): void {
  if (actor.role === 'admin' || payment.userId === actor.id) return;
  throw forbidden('FORBIDDEN', 'this payment belongs to another user');
}

export function assertOwner(actor: Actor, payment: PaymentRecord): void {
  if (payment.userId === actor.id) return;
  throw forbidden('FORBIDDEN', 'this payment belongs to another user');
}

/**
 * Cash on delivery is collected by the store that delivers: an admin, or a seller of a store
 * that sells in the order. (Per-store fulfilments will narrow this to the seller's own part.)
 */
export function assertCanCollect(actor: Actor, order: Pick<OrderForPayment, 'orderId' | 'storeIds'>): void {
  if (actor.role === 'admin') return;
  if (actor.role === 'seller' && actor.storeId !== undefined && order.storeIds.includes(actor.storeId)) return;
  throw forbidden('FORBIDDEN', 'only a seller of a store in this order, or an admin, may collect its payment', { order_id: order.orderId });
}

export function paymentNotFound(paymentId: string) {
  return notFound('PAYMENT_NOT_FOUND', `payment ${paymentId} not found`, { payment_id: paymentId });
}
