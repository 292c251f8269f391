import { notFound } from '@sudamall/shared';
import { assertCanSee, paymentNotFound } from './access';
import type { Actor, UseCaseDeps } from './deps';
import type { PaymentFilter, RefundFilter } from './ports';
import type { Page, PaymentDetail, PaymentRecord, RefundRecord } from './records';

export async function getPaymentDetail(deps: UseCaseDeps, actor: Actor, paymentId: string): Promise<PaymentDetail> {
  const detail = await deps.payments.getPaymentDetail(paymentId);
  if (!detail) throw paymentNotFound(paymentId);
  assertCanSee(actor, detail.payment);
  return detail;
}

/** The order's live payment, else its latest. */
export async function getPaymentStatusForOrder(deps: UseCaseDeps, actor: Actor, orderReference: string): Promise<PaymentRecord> {
  const payment = await deps.payments.findCurrentPaymentForOrder(orderReference);
  if (!payment) throw notFound('PAYMENT_NOT_FOUND', `no payment for order ${orderReference}`, { order_reference: orderReference });
  assertCanSee(actor, payment);
  return payment;
}

/** A buyer's own payments. */
export function listMyPayments(
  deps: UseCaseDeps,
  actor: Actor,
  page: number,
  pageSize: number,
  filter: Omit<PaymentFilter, 'userId'>,
): Promise<Page<PaymentRecord>> {
  return deps.payments.listPayments(page, pageSize, { ...filter, userId: actor.id });
}

/** Every payment (admins). */
export function listPayments(deps: UseCaseDeps, page: number, pageSize: number, filter: PaymentFilter): Promise<Page<PaymentRecord>> {
  return deps.payments.listPayments(page, pageSize, filter);
}

export function listRefunds(deps: UseCaseDeps, page: number, pageSize: number, filter: RefundFilter): Promise<Page<RefundRecord>> {
  return deps.refunds.listRefunds(page, pageSize, filter);
}

export async function getRefund(deps: UseCaseDeps, refundId: string): Promise<RefundRecord> {
  const refund = await deps.refunds.findRefund(refundId);
  if (!refund) throw notFound('REFUND_NOT_FOUND', `refund ${refundId} not found`, { refund_id: refundId });
  return refund;
}
