import { forbidden, notFound } from '@sudamall/shared';
import type { Actor } from './deps';
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

export function paymentNotFound(paymentId: string) {
  return notFound('PAYMENT_NOT_FOUND', `payment ${paymentId} not found`, { payment_id: paymentId });
}
