// Rows as Prisma returns them, turned into the plain records of app/records.ts (money as decimal
// strings), and the small helpers every payment store shares.
import { formatMoney } from '@sudamall/shared';
import { Prisma } from '../generated/prisma/client';
import type { AttemptRecord, DuplicateCaptureRecord, GatewayRecord, PaymentRecord, RefundRecord } from '../app/records';

export type Tx = Prisma.TransactionClient;
export type PaymentRow = Prisma.PaymentGetPayload<object>;
export type AttemptRow = Prisma.PaymentAttemptGetPayload<object>;
export type RefundRow = Prisma.RefundGetPayload<object>;
export type GatewayRow = Prisma.GatewayGetPayload<object>;
export type DuplicateCaptureRow = Prisma.DuplicateCaptureGetPayload<object>;

/** A payment row as Prisma returns it, or as PAYMENT_COLUMNS selects it (money as text). */
export type PaymentRowLike = Omit<PaymentRow, 'amount' | 'gatewayFee' | 'totalAmount' | 'refundedAmount'> &
  Record<'amount' | 'gatewayFee' | 'totalAmount' | 'refundedAmount', Prisma.Decimal | string>;

export const money2 = (d: Prisma.Decimal | string | number) => formatMoney(d.toString());
export const asObject = (v: Prisma.JsonValue | null | undefined): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});
export const json = (v: unknown) => v as Prisma.InputJsonValue;

/** Ids are UUIDs: anything else finds nothing (and never reaches a ::uuid cast). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUniqueViolation(e: unknown): boolean {
  if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') return true;
  const msg = e instanceof Error ? e.message : '';
  return msg.includes('23505') || msg.includes('unique constraint') || msg.includes('Unique constraint');
}

/** created_at in [createdAfter, createdBefore), for the list filters. */
export function createdBetween(f: { createdAfter?: Date; createdBefore?: Date }): { createdAt?: { gte?: Date; lt?: Date } } {
  if (!f.createdAfter && !f.createdBefore) return {};
  return { createdAt: { ...(f.createdAfter ? { gte: f.createdAfter } : {}), ...(f.createdBefore ? { lt: f.createdBefore } : {}) } };
}

export function toPaymentRecord(r: PaymentRowLike): PaymentRecord {
  return {
    paymentId: r.paymentId,
    orderReference: r.orderReference,
    userId: r.userId,
    gateway: r.gatewayName,
    paymentMethod: r.paymentMethod,
    currency: r.currency,
    amount: money2(r.amount),
    gatewayFee: money2(r.gatewayFee),
    totalAmount: money2(r.totalAmount),
    refundedAmount: money2(r.refundedAmount),
    status: r.status,
    attemptCount: r.attemptCount,
    gatewayTransactionId: r.gatewayTransactionId,
    gatewayReference: r.gatewayReference,
    failureReason: r.failureReason,
    metadata: asObject(r.metadata),
    expiresAt: r.expiresAt,
    processingStartedAt: r.processingStartedAt,
    completedAt: r.completedAt,
    cancelledAt: r.cancelledAt,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export function toAttemptRecord(r: AttemptRow): AttemptRecord {
  return {
    id: r.id,
    paymentId: r.paymentId,
    attemptNumber: r.attemptNumber,
    status: r.status,
    idempotencyKey: r.idempotencyKey,
    gatewayResponse: asObject(r.gatewayResponse),
    failureCode: r.failureCode,
    failureReason: r.failureReason,
    cardLast4: r.cardLast4,
    createdAt: r.createdAt,
    completedAt: r.completedAt,
  };
}

export function toRefundRecord(r: RefundRow): RefundRecord {
  return {
    refundId: r.refundId,
    paymentId: r.paymentId,
    amount: money2(r.amount),
    reason: r.reason,
    status: r.status,
    gatewayRefundId: r.gatewayRefundId,
    failureReason: r.failureReason,
    requestedBy: r.requestedBy,
    sourceEventId: r.sourceEventId,
    refundKey: r.refundKey,
    attemptCount: r.attemptCount,
    lastAttemptAt: r.lastAttemptAt,
    lastError: r.lastError,
    createdAt: r.createdAt,
    processedAt: r.processedAt,
  };
}

export function toGatewayRecord(r: GatewayRow): GatewayRecord {
  return {
    name: r.name,
    displayName: r.displayName,
    type: r.type,
    isActive: r.isActive,
    testMode: r.testMode,
    fixedFee: money2(r.fixedFee),
    percentageFee: r.percentageFee.toFixed(2),
  };
}

export function toDuplicateCaptureRecord(r: DuplicateCaptureRow): DuplicateCaptureRecord {
  return {
    id: r.id,
    paymentId: r.paymentId,
    orderReference: r.orderReference,
    gateway: r.gateway,
    transactionId: r.transactionId,
    amount: money2(r.amount),
    currency: r.currency,
    source: r.source,
    livePaymentId: r.livePaymentId,
    status: r.status,
    gatewayRefundId: r.gatewayRefundId,
    refundAttempts: r.refundAttempts,
    lastError: r.lastError,
    detectedAt: r.detectedAt,
    refundedAt: r.refundedAt,
  };
}
