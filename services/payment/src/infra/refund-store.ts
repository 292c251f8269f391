// refunds: reserved under the payment's row lock (refunded_amount), sent by the refund worker,
// settled once (domain/refunds.ts's transition table). `reserveRefundLocked` also runs inside the
// saga commands' transactions.
import { randomUUID } from 'node:crypto';
import { notFound, sortKeyOf, sumMoney } from '@sudamall/shared';
import { paymentTransitions } from '../domain/payment-status';
import { decideRefundAmount, refundTransitions, statusAfterRefunds } from '../domain/refunds';
import type { Clock, RefundFilter, RefundReservation, RefundStore } from '../app/ports';
import type { Page, RefundRecord } from '../app/records';
import type { Prisma } from '../generated/prisma/client';
import { createdBetween, money2, toPaymentRecord, toRefundRecord, UUID, type PaymentRow, type RefundRow, type Tx } from './payment-rows';
import { emit, lockPayment, movePayment } from './payment-tx';
import type { Db } from './prisma';

/** A keyed refund's events echo its key; an unkeyed one's carry no refund_key at all (as before). */
export const keyOf = (r: { refundKey: string | null }) => (r.refundKey === null ? {} : { refund_key: r.refundKey });

/** Reserves a refund of `requested` (everything left when undefined) from `p`, locked by the caller. */
export async function reserveRefundLocked(
  tx: Tx,
  p: PaymentRow,
  requested: string | undefined,
  reason: string,
  requestedBy: string,
  sourceEventId: string | null,
  refundKey: string | null = null,
): Promise<RefundReservation> {
  const amount = decideRefundAmount({ status: p.status, totalAmount: p.totalAmount.toString(), refundedAmount: p.refundedAmount.toString() }, requested);
  const refund = await tx.refund.create({
    data: { refundId: randomUUID(), paymentId: p.paymentId, amount, reason, requestedBy, sourceEventId, refundKey, status: 'pending' },
  });
  const updated = await tx.payment.update({ where: { paymentId: p.paymentId }, data: { refundedAmount: { increment: amount } } });
  return { refund: toRefundRecord(refund), payment: toPaymentRecord(updated) };
}

function reservationOf(row: (RefundRow & { payment: PaymentRow }) | null): RefundReservation | null {
  if (!row) return null;
  const { payment, ...refund } = row;
  return { refund: toRefundRecord(refund), payment: toPaymentRecord(payment) };
}

export class PrismaRefundStore implements RefundStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async reserveRefund(args: { paymentId: string; amount?: string; reason: string; requestedBy: string }): Promise<RefundReservation> {
    return this.db.$transaction(async (tx) => {
      const p = await lockPayment(tx, args.paymentId);
      if (!p) throw notFound('PAYMENT_NOT_FOUND', 'payment not found');
      return reserveRefundLocked(tx, p, args.amount, args.reason, args.requestedBy, null);
    });
  }

  async completeRefund(refundId: string, gatewayRefundId: string): Promise<RefundReservation> {
    return this.db.$transaction(async (tx) => {
      const refund = await tx.refund.findUnique({ where: { refundId } });
      if (!refund) throw notFound('REFUND_NOT_FOUND', 'refund not found');
      const p = (await lockPayment(tx, refund.paymentId)) as PaymentRow;
      const current = await tx.refund.findUniqueOrThrow({ where: { refundId } });
      // Settled before (another worker, the sweep): its answer went out then.
      if (!refundTransitions.can(current.status, 'completed')) return { refund: toRefundRecord(current), payment: toPaymentRecord(p) };
      const done = await tx.refund.update({
        where: { refundId },
        data: {
          status: refundTransitions.transition(current.status, 'completed'),
          gatewayRefundId,
          processedAt: this.clock.now(),
          failureReason: null,
          lastError: null,
        },
      });
      const completed = await tx.refund.findMany({ where: { paymentId: p.paymentId, status: 'completed' }, select: { amount: true } });
      const next = statusAfterRefunds(p.totalAmount.toString(), sumMoney(completed.map((r) => r.amount.toString())));
      const updated = paymentTransitions.can(p.status, next) ? await movePayment(tx, p, next) : p;
      await emit(tx, 'payment.refunded', p.orderReference, {
        payment_id: p.paymentId,
        order_id: p.orderReference,
        refund_id: refundId,
        amount: money2(done.amount),
        reason: done.reason,
        ...keyOf(done),
      });
      return { refund: toRefundRecord(done), payment: toPaymentRecord(updated) };
    });
  }

  async failRefund(refundId: string, reason: string): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const refund = await tx.refund.findUnique({ where: { refundId } });
      if (!refund) return;
      await lockPayment(tx, refund.paymentId);
      const current = await tx.refund.findUniqueOrThrow({ where: { refundId } });
      if (!refundTransitions.can(current.status, 'failed')) return;
      await tx.refund.update({
        where: { refundId },
        data: { status: refundTransitions.transition(current.status, 'failed'), failureReason: reason, processedAt: this.clock.now() },
      });
      const p = await tx.payment.update({ where: { paymentId: refund.paymentId }, data: { refundedAmount: { decrement: current.amount } } });
      // Whoever waits for this refund (the saga's compensation) learns it will not come: without
      // it the saga would wait for a payment.refunded that is never sent.
      await emit(tx, 'payment.refund_failed', p.orderReference, {
        payment_id: p.paymentId,
        order_id: p.orderReference,
        refund_id: refundId,
        amount: money2(current.amount),
        reason,
        ...keyOf(current),
      });
    });
  }

  async claimRefundAttempt(refundId: string, leaseFrom: Date): Promise<RefundReservation | null> {
    if (!UUID.test(refundId)) return null;
    // A conditional UPDATE on a refund still pending: of concurrent callers one takes the lease.
    const { count } = await this.db.refund.updateMany({
      where: { refundId, status: 'pending', OR: [{ lastAttemptAt: null }, { lastAttemptAt: { lt: leaseFrom } }] },
      data: { attemptCount: { increment: 1 }, lastAttemptAt: this.clock.now() },
    });
    if (count === 0) return null;
    return reservationOf(await this.db.refund.findUnique({ where: { refundId }, include: { payment: true } }));
  }

  async noteRefundPending(refundId: string, error: string): Promise<RefundReservation | null> {
    const updated = await this.db.refund.updateMany({ where: { refundId, status: 'pending' }, data: { lastError: error.slice(0, 500) } });
    if (updated.count === 0) return null;
    return reservationOf(await this.db.refund.findUnique({ where: { refundId }, include: { payment: true } }));
  }

  async findStalePendingRefunds(olderThan: Date, limit: number): Promise<RefundRecord[]> {
    // Admin and saga refunds alike: never sent yet (a crash before the first call), or the last
    // call's outcome unknown. Oldest first, so a backlog drains in order.
    const rows = await this.db.refund.findMany({
      where: { status: 'pending', OR: [{ lastAttemptAt: null, createdAt: { lt: olderThan } }, { lastAttemptAt: { lt: olderThan } }] },
      orderBy: { createdAt: 'asc' },
      take: limit,
    });
    return rows.map(toRefundRecord);
  }

  async findRefund(refundId: string): Promise<RefundRecord | null> {
    if (!UUID.test(refundId)) return null;
    const row = await this.db.refund.findUnique({ where: { refundId } });
    return row ? toRefundRecord(row) : null;
  }

  async listRefunds(page: number, pageSize: number, filter: RefundFilter): Promise<Page<RefundRecord>> {
    if (filter.paymentId && !UUID.test(filter.paymentId)) return { items: [], total: 0 };
    const where: Prisma.RefundWhereInput = {
      ...(filter.paymentId ? { paymentId: filter.paymentId } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...createdBetween(filter),
    };
    const { field, descending } = sortKeyOf(filter.sort);
    const direction = descending ? 'desc' : 'asc';
    const orderBy: Prisma.RefundOrderByWithRelationInput[] = [field === 'amount' ? { amount: direction } : { createdAt: direction }, { refundId: direction }];
    const [total, rows] = await this.db.$transaction([
      this.db.refund.count({ where }),
      this.db.refund.findMany({ where, orderBy, skip: (page - 1) * pageSize, take: pageSize }),
    ]);
    return { total, items: rows.map(toRefundRecord) };
  }
}
