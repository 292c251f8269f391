// payments: created for an order, read by id or order (the checkout's statements are plain SQL
// over node-postgres, see payment-sql.ts), listed, closed when the order can no longer be paid, collected by hand.
import { notFound, sortKeyOf, type Sql } from '@sudamall/shared';
import { cashTransactionId, collectByHand, collectedMetadata } from '../domain/cash-collection';
import { paymentExists } from '../domain/errors';
import { paymentTransitions, VOIDABLE_STATUSES } from '../domain/payment-status';
import { attemptTransitions } from '../domain/attempt-status';
import type { Clock, NewPayment, PaymentFilter, PaymentStore } from '../app/ports';
import type { GatewayRecord, Page, PaymentDetail, PaymentRecord } from '../app/records';
import type { Prisma } from '../generated/prisma/client';
import {
  asObject,
  createdBetween,
  isUniqueViolation,
  json,
  money2,
  toAttemptRecord,
  toPaymentRecord,
  toRefundRecord,
  UUID,
  type PaymentRowLike,
} from './payment-rows';
import { INSERT_PAYMENT, SELECT_GATEWAY_AND_LIVE_PAYMENT, SELECT_LIVE_PAYMENT_OF_ORDER, SELECT_PAYMENT_BY_ID } from './payment-sql';
import { emit, lockPayment, movePayment, succeededEvent } from './payment-tx';
import type { Db } from './prisma';

/** SELECT_GATEWAY_AND_LIVE_PAYMENT's row: the gateway's columns g_-prefixed, the live payment's (all null without one). */
type GatewayAndLiveRow = PaymentRowLike & {
  g_name: string;
  g_display_name: string;
  g_type: GatewayRecord['type'];
  g_is_active: boolean;
  g_test_mode: boolean;
  g_fixed_fee: string;
  g_percentage_fee: string;
};

export class PrismaPaymentStore implements PaymentStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    /** The checkout's statements (node-postgres, infra/sql.ts): create's read and insert, the reads by id. */
    private readonly sql: Sql,
  ) {}

  async createPayment(data: NewPayment): Promise<PaymentRecord> {
    try {
      const [row] = await this.sql.query<PaymentRowLike>(INSERT_PAYMENT, [
        data.paymentId,
        data.orderReference,
        data.userId,
        data.gateway,
        data.paymentMethod,
        data.currency,
        data.amount,
        data.gatewayFee,
        data.totalAmount,
        data.expiresAt,
        JSON.stringify(data.metadata),
        this.clock.now(),
      ]);
      if (!row) throw new Error('INSERT ... RETURNING returned no row');
      return toPaymentRecord(row);
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const live = await this.findLivePayment(data.orderReference);
      throw paymentExists(live);
    }
  }

  async findPayment(paymentId: string): Promise<PaymentRecord | null> {
    if (!UUID.test(paymentId)) return null;
    const [row] = await this.sql.query<PaymentRowLike>(SELECT_PAYMENT_BY_ID, [paymentId]);
    return row ? toPaymentRecord(row) : null;
  }

  async findLivePayment(orderReference: string): Promise<PaymentRecord | null> {
    const [row] = await this.sql.query<PaymentRowLike>(SELECT_LIVE_PAYMENT_OF_ORDER, [orderReference]);
    return row ? toPaymentRecord(row) : null;
  }

  async findGatewayAndLivePayment(gateway: string, orderReference: string): Promise<{ gateway: GatewayRecord | null; live: PaymentRecord | null }> {
    const [row] = await this.sql.query<GatewayAndLiveRow>(SELECT_GATEWAY_AND_LIVE_PAYMENT, [gateway, orderReference]);
    if (!row) return { gateway: null, live: null };
    return {
      gateway: {
        name: row.g_name,
        displayName: row.g_display_name,
        type: row.g_type,
        isActive: row.g_is_active,
        testMode: row.g_test_mode,
        fixedFee: money2(row.g_fixed_fee),
        // NUMERIC(5,2) as text has its two decimals already, as toGatewayRecord's toFixed(2) writes it.
        percentageFee: row.g_percentage_fee,
      },
      live: row.paymentId ? toPaymentRecord(row) : null,
    };
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
