// What every payment store does inside its transaction: lock the payment rows, write a payment's
// status through the transition table, and put the change's event in the outbox (same commit).
import { createEnvelope, outboxRow, sqlOverPrisma, Topics, type MessageType, type MessageTypes } from '@sudamall/shared';
import { paymentTransitions, VOIDABLE_STATUSES, voidedStatusFor, voidRequestOf, type PaymentStatus } from '../domain/payment-status';
import type { PaymentRecord } from '../app/records';
import { type Prisma } from '../generated/prisma/client';
import { asObject, json, toPaymentRecord, type PaymentRow, type Tx } from './payment-rows';
import { LOCK_ORDER_PAYMENTS, LOCK_PAYMENT } from './payment-sql';

/** Every status change and its event commit together (outbox). */
export async function emit<T extends MessageType>(tx: Tx, type: T, orderId: string, data: MessageTypes[T]): Promise<void> {
  const envelope = createEnvelope(type, orderId, data);
  const row = outboxRow(Topics.paymentEvents, envelope);
  await tx.outboxMessage.create({ data: { ...row, payload: json(row.payload) } });
}

export async function lockPayment(tx: Tx, paymentId: string): Promise<PaymentRow | null> {
  const locked = await sqlOverPrisma(tx).query<{ payment_id: string }>(LOCK_PAYMENT, [paymentId]);
  if (locked.length === 0) return null;
  return tx.payment.findUnique({ where: { paymentId } });
}

export async function lockOrderPayments(tx: Tx, orderId: string): Promise<PaymentRow[]> {
  await sqlOverPrisma(tx).query(LOCK_ORDER_PAYMENTS, [orderId]);
  return tx.payment.findMany({ where: { orderReference: orderId }, orderBy: { createdAt: 'asc' } });
}

type PaymentChange = Omit<Prisma.PaymentUpdateInput, 'status'>;

/**
 * The one way a store writes a payment's status: `p` as read under its row lock, moved to `to`
 * through the transition table (which throws on a move it does not list), with the rest of the change.
 */
export function movePayment(tx: Tx, p: PaymentRow, to: PaymentStatus, change: PaymentChange = {}): Promise<PaymentRow> {
  return tx.payment.update({ where: { paymentId: p.paymentId }, data: { ...change, status: paymentTransitions.transition(p.status, to) } });
}

export function succeededEvent(p: PaymentRow | PaymentRecord): MessageTypes['payment.succeeded'] {
  const r = 'gatewayName' in p ? toPaymentRecord(p) : p;
  return {
    payment_id: r.paymentId,
    order_id: r.orderReference,
    user_id: r.userId,
    gateway: r.gateway,
    amount: r.amount,
    gateway_fee: r.gatewayFee,
    total_amount: r.totalAmount,
  };
}

/**
 * A charge the order asked to void while it was in flight has ended without a capture (declined,
 * a definite gateway error, waiting for the payer): the payment, now `failed` or `pending`, closes
 * as the void would have, and payment.voided answers that void. Anything else is returned as is.
 */
export async function closeRequestedVoid(tx: Tx, p: PaymentRow, now: Date): Promise<PaymentRow> {
  const request = voidRequestOf(asObject(p.metadata));
  if (!request || !VOIDABLE_STATUSES.includes(p.status)) return p;
  const to = voidedStatusFor(request.reason);
  if (!paymentTransitions.can(p.status, to)) return p;
  const updated = await movePayment(tx, p, to, { cancelledAt: now, failureReason: request.reason });
  await emit(tx, 'payment.voided', p.orderReference, { payment_id: p.paymentId, order_id: p.orderReference, reason: request.reason });
  return updated;
}

/** Cancels (or expires, by the reason) every payment nothing was captured for; one payment.voided each. */
export async function cancelVoidable(tx: Tx, payments: PaymentRow[], reason: string, now: Date): Promise<PaymentRecord[]> {
  const out: PaymentRecord[] = [];
  const to = voidedStatusFor(reason);
  for (const p of payments) {
    if (!VOIDABLE_STATUSES.includes(p.status)) continue;
    const updated = await movePayment(tx, p, to, { cancelledAt: now, failureReason: reason });
    await emit(tx, 'payment.voided', p.orderReference, { payment_id: p.paymentId, order_id: p.orderReference, reason });
    out.push(toPaymentRecord(updated));
  }
  return out;
}
