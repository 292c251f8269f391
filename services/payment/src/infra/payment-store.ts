// payments: created for an order, read by id or order (the checkout's hot reads are plain SQL,
// see payment-sql.ts), listed, closed when the order can no longer be paid, collected by hand.
import { notFound, sortKeyOf, sqlOverPrisma } from '@sudamall/shared';
import { cashTransactionId, collectByHand, collectedMetadata } from '../domain/cash-collection';
import { paymentExists } from '../domain/errors';
import { paymentTransitions, VOIDABLE_STATUSES } from '../domain/payment-status';
import { attemptTransitions } from '../domain/attempt-status';
import type { Clock, NewPayment, PaymentFilter, PaymentStore } from '../app/ports';
import type { Page, PaymentDetail, PaymentRecord } from '../app/records';
import type { Prisma } from '../generated/prisma/client';
import { asObject, createdBetween, isUniqueViolation, json, toAttemptRecord, toPaymentRecord, toRefundRecord, UUID, type PaymentRowLike } from './payment-rows';
import { SELECT_LIVE_PAYMENT_OF_ORDER, SELECT_PAYMENT_BY_ID } from './payment-sql';
import { emit, lockPayment, movePayment, succeededEvent } from './payment-tx';
import type { Db } from './prisma';

export class PrismaPaymentStore implements PaymentStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async createPayment(data: NewPayment): Promise<PaymentRecord> {
    try {
      const row = await this.db.payment.create({
        data: {
          paymentId: data.paymentId,
          orderReference: data.orderReference,
          userId: data.userId,
          gatewayName: data.gateway,
          paymentMethod: data.paymentMethod,
          currency: data.currency,
          amount: data.amount,
          gatewayFee: data.gatewayFee,
          totalAmount: data.totalAmount,
          expiresAt: data.expiresAt,
          metadata: json(data.metadata),
        },
      });
      return toPaymentRecord(row);
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const live = await this.findLivePayment(data.orderReference);
      throw paymentExists(live);
    }
  }

  async findPayment(paymentId: string): Promise<PaymentRecord | null> {
    if (!UUID.test(paymentId)) return null;
    const [row] = await sqlOverPrisma(this.db).query<PaymentRowLike>(SELECT_PAYMENT_BY_ID, [paymentId]);
    return row ? toPaymentRecord(row) : null;
  }

  async findLivePayment(orderReference: string): Promise<PaymentRecord | null> {
    const [row] = await sqlOverPrisma(this.db).query<PaymentRowLike>(SELECT_LIVE_PAYMENT_OF_ORDER, [orderReference]);
    return row ? toPaymentRecord(row) : null;
  }

  async findCurrentPaymentForOrder(orderReference: string): Promise<PaymentRecord | null> {
    const live = await this.findLivePayment(orderReference);
    if (live) return live;
    const row = await this.db.payment.findFirst({ where: { orderReference }, orderBy: { createdAt: 'desc' } });
    return row ? toPaymentRecord(row) : null;
  }

  async getPaymentDetail(paymentId: string): Promise<PaymentDetail | null> {
    if (!UUID.test(paymentId)) return null;
    const row = await this.db.payment.findUnique({
      where: { paymentId },
      include: { attempts: { orderBy: { attemptNumber: 'asc' } }, refunds: { orderBy: { createdAt: 'asc' } } },
    });
    if (!row) return null;
    return { payment: toPaymentRecord(row), attempts: row.attempts.map(toAttemptRecord), refunds: row.refunds.map(toRefundRecord) };
  }

  async listPayments(page: number, pageSize: number, filter: PaymentFilter): Promise<Page<PaymentRecord>> {
    const where: Prisma.PaymentWhereInput = {
      ...(filter.userId ? { userId: filter.userId } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.gateway ? { gatewayName: filter.gateway } : {}),
      ...createdBetween(filter),
    };
    const { field, descending } = sortKeyOf(filter.sort);
    const direction = descending ? 'desc' : 'asc';
    const orderBy: Prisma.PaymentOrderByWithRelationInput[] = [
      field === 'total_amount' ? { totalAmount: direction } : { createdAt: direction },
      { paymentId: direction },
    ];
    const [total, rows] = await this.db.$transaction([
      this.db.payment.count({ where }),
      this.db.payment.findMany({ where, orderBy, skip: (page - 1) * pageSize, take: pageSize }),
    ]);
    return { total, items: rows.map(toPaymentRecord) };
  }

  async closePayment(paymentId: string, to: 'expired' | 'cancelled', reason: string): Promise<PaymentRecord | null> {
    return this.db.$transaction(async (tx) => {
      const p = await lockPayment(tx, paymentId);
      if (!p || !paymentTransitions.can(p.status, to) || !VOIDABLE_STATUSES.includes(p.status)) return p ? toPaymentRecord(p) : null;
      const updated = await movePayment(tx, p, to, { failureReason: reason, cancelledAt: this.clock.now() });
      return toPaymentRecord(updated);
    });
  }

  async markCollected(paymentId: string, collectedBy: string): Promise<PaymentRecord> {
    return this.db.$transaction(async (tx) => {
      const p = await lockPayment(tx, paymentId);
      if (!p) throw notFound('PAYMENT_NOT_FOUND', 'payment not found');
      const metadata = asObject(p.metadata);
      const { announce } = collectByHand({ gateway: p.gatewayName, status: p.status, metadata });
      const now = this.clock.now();
      const updated = await movePayment(tx, p, 'completed', {
        completedAt: now,
        gatewayTransactionId: cashTransactionId(paymentId),
        metadata: json(collectedMetadata(metadata, collectedBy, now)),
      });
      await tx.paymentAttempt.updateMany({
        where: { paymentId, status: { in: attemptTransitions.sourcesOf('succeeded', ['awaiting_collection']) } },
        data: { status: 'succeeded', completedAt: now },
      });
      // Announced already when the buyer chose cash on delivery; otherwise announce it now.
      if (announce) await emit(tx, 'payment.succeeded', p.orderReference, succeededEvent(updated));
      return toPaymentRecord(updated);
    });
  }
}
