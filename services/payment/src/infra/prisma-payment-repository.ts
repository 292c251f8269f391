import { randomUUID } from 'node:crypto';
import {
  claimInbox,
  conflict,
  createEnvelope,
  formatMoney,
  notFound,
  outboxRow,
  sortKeyOf,
  sumMoney,
  Topics,
  type MessageType,
  type MessageTypes,
} from '@sudamall/shared';
import { Prisma } from '../generated/prisma/client';
import type { Db } from './prisma';
import { canTransition, REFUNDABLE_STATUSES, VOIDABLE_STATUSES, voidedStatusFor, voidRequestOf, type PaymentStatus } from '../domain/payment-status';
import { canRefundTransition, decideRefundAmount, statusAfterRefunds } from '../domain/refunds';
import { decideKeyedRefund, type KeyedRefundRequest } from '../domain/keyed-refunds';
import { decideCollection } from '../domain/cash-collection';
import { paymentExists } from '../domain/errors';
import { chargeIdempotencyKey } from '../domain/idempotency';
import type {
  ChargeResult,
  ClaimArgs,
  CommandEffect,
  GatewayEventInput,
  GatewayEventResult,
  NewPayment,
  PaymentFilter,
  PaymentRepository,
  ProcessingClaim,
  RefundFilter,
  RefundReservation,
} from '../app/ports';
import type {
  AttemptRecord,
  DuplicateCaptureRecord,
  DuplicateCaptureStatus,
  GatewayRecord,
  InboxClaim,
  Page,
  PaymentDetail,
  PaymentRecord,
  RefundRecord,
} from '../app/records';

type Tx = Prisma.TransactionClient;
type PaymentRow = Prisma.PaymentGetPayload<object>;
type AttemptRow = Prisma.PaymentAttemptGetPayload<object>;
type RefundRow = Prisma.RefundGetPayload<object>;
type GatewayRow = Prisma.GatewayGetPayload<object>;
type DuplicateCaptureRow = Prisma.DuplicateCaptureGetPayload<object>;

const money2 = (d: Prisma.Decimal | string | number) => formatMoney(d.toString());
const asObject = (v: Prisma.JsonValue | null | undefined): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const json = (v: unknown) => v as Prisma.InputJsonValue;

/** A payment row as Prisma returns it, or as PAYMENT_COLUMNS selects it (money as text). */
type PaymentRowLike = Omit<PaymentRow, 'amount' | 'gatewayFee' | 'totalAmount' | 'refundedAmount'> &
  Record<'amount' | 'gatewayFee' | 'totalAmount' | 'refundedAmount', Prisma.Decimal | string>;

// The reads every checkout makes (the live payment of an order, a payment by id, twice) as plain
// SQL: no query compilation per call. Columns aliased to the Prisma field names, money as text.
const PAYMENT_COLUMNS = `payment_id::text AS "paymentId", order_reference AS "orderReference", user_id AS "userId",
  gateway AS "gatewayName", payment_method AS "paymentMethod", currency, amount::text AS amount,
  gateway_fee::text AS "gatewayFee", total_amount::text AS "totalAmount", refunded_amount::text AS "refundedAmount",
  status::text AS status, attempt_count AS "attemptCount", gateway_transaction_id AS "gatewayTransactionId",
  gateway_reference AS "gatewayReference", failure_reason AS "failureReason", metadata, expires_at AS "expiresAt",
  processing_started_at AS "processingStartedAt", completed_at AS "completedAt", cancelled_at AS "cancelledAt",
  created_at AS "createdAt", updated_at AS "updatedAt"`;

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

function toAttemptRecord(r: AttemptRow): AttemptRecord {
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

function toRefundRecord(r: RefundRow): RefundRecord {
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

function toGatewayRecord(r: GatewayRow): GatewayRecord {
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

function isUniqueViolation(e: unknown): boolean {
  if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') return true;
  const msg = e instanceof Error ? e.message : '';
  return msg.includes('23505') || msg.includes('unique constraint') || msg.includes('Unique constraint');
}

/** A keyed refund's events echo its key; an unkeyed one's carry no refund_key at all (as before). */
const keyOf = (r: { refundKey: string | null }) => (r.refundKey === null ? {} : { refund_key: r.refundKey });

/** Every status change and its event commit together (outbox). */
async function emit<T extends MessageType>(tx: Tx, type: T, orderId: string, data: MessageTypes[T]): Promise<void> {
  const envelope = createEnvelope(type, orderId, data);
  const row = outboxRow(Topics.paymentEvents, envelope);
  await tx.outboxMessage.create({ data: { ...row, payload: json(row.payload) } });
}

async function lockPayment(tx: Tx, paymentId: string): Promise<PaymentRow | null> {
  const locked = await tx.$queryRawUnsafe<Array<{ payment_id: string }>>('SELECT payment_id FROM payments WHERE payment_id = $1::uuid FOR UPDATE', paymentId);
  if (locked.length === 0) return null;
  return tx.payment.findUnique({ where: { paymentId } });
}

async function lockOrderPayments(tx: Tx, orderId: string): Promise<PaymentRow[]> {
  await tx.$queryRawUnsafe('SELECT payment_id FROM payments WHERE order_reference = $1 ORDER BY payment_id FOR UPDATE', orderId);
  return tx.payment.findMany({ where: { orderReference: orderId }, orderBy: { createdAt: 'asc' } });
}

function succeededEvent(p: PaymentRow | PaymentRecord): MessageTypes['payment.succeeded'] {
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** created_at in [createdAfter, createdBefore), for the list filters. */
function createdBetween(f: { createdAfter?: Date; createdBefore?: Date }): { createdAt?: { gte?: Date; lt?: Date } } {
  if (!f.createdAfter && !f.createdBefore) return {};
  return { createdAt: { ...(f.createdAfter ? { gte: f.createdAfter } : {}), ...(f.createdBefore ? { lt: f.createdBefore } : {}) } };
}

export class PrismaPaymentRepository implements PaymentRepository {
  private readonly reportDuplicate: DuplicateReporter;

  constructor(
    private readonly db: Db,
    logger?: { error(fields: Record<string, unknown>, msg: string): void },
  ) {
    this.reportDuplicate = (fields) => logger?.error(fields, 'duplicate capture: recorded, refunded automatically');
  }

  async listGateways(activeOnly: boolean): Promise<GatewayRecord[]> {
    const rows = await this.db.gateway.findMany({ where: activeOnly ? { isActive: true } : {}, orderBy: { name: 'asc' } });
    return rows.map(toGatewayRecord);
  }

  async findGateway(name: string): Promise<GatewayRecord | null> {
    const row = await this.db.gateway.findUnique({ where: { name } });
    return row ? toGatewayRecord(row) : null;
  }

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
    const rows = await this.db.$queryRawUnsafe<PaymentRowLike[]>(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE payment_id = $1::uuid`, paymentId);
    return rows[0] ? toPaymentRecord(rows[0]) : null;
  }

  async findLivePayment(orderReference: string): Promise<PaymentRecord | null> {
    const rows = await this.db.$queryRawUnsafe<PaymentRowLike[]>(
      `SELECT ${PAYMENT_COLUMNS} FROM payments
        WHERE order_reference = $1 AND status IN ('pending', 'processing', 'completed') LIMIT 1`,
      orderReference,
    );
    return rows[0] ? toPaymentRecord(rows[0]) : null;
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

  async claimForProcessing(args: ClaimArgs): Promise<ProcessingClaim | null> {
    try {
      return await this.db.$transaction(async (tx) => {
        // The row lock makes concurrent claims queue; each then sees the winner's `processing`.
        const p = await lockPayment(tx, args.paymentId);
        if (!p) return null;
        if (asObject(p.metadata).awaiting_collection === true) return null;
        // The order asked for a void while a charge was in flight: no attempt starts or resumes.
        if (voidRequestOf(asObject(p.metadata))) return null;
        const now = args.now ?? new Date();
        const stale =
          p.status === 'processing' && p.processingStartedAt !== null && p.processingStartedAt.getTime() < now.getTime() - args.staleAfterSeconds * 1000;
        if (!stale && !(p.status === 'pending' || p.status === 'failed')) return null;

        const resumed = stale;
        const attemptNumber = resumed ? p.attemptCount : p.attemptCount + 1;
        const idempotencyKey = chargeIdempotencyKey(p.paymentId, attemptNumber);
        const updated = await tx.payment.update({
          where: { paymentId: p.paymentId },
          data: { status: 'processing', attemptCount: attemptNumber, processingStartedAt: now, failureReason: null },
        });
        if (resumed) {
          await tx.paymentAttempt.updateMany({
            where: { paymentId: p.paymentId, attemptNumber },
            data: { status: 'processing', ...(args.cardLast4 ? { cardLast4: args.cardLast4 } : {}) },
          });
        } else {
          await tx.paymentAttempt.create({
            data: {
              paymentId: p.paymentId,
              attemptNumber,
              idempotencyKey,
              cardLast4: args.cardLast4,
              status: 'processing',
              gatewayResponse: json(args.paymentMethodId ? { payment_method_id: args.paymentMethodId } : {}),
            },
          });
        }
        return { payment: toPaymentRecord(updated), attemptNumber, idempotencyKey, resumed };
      });
    } catch (e) {
      // failed → processing collides with another live payment created for the order meanwhile.
      if (isUniqueViolation(e)) {
        const p = await this.findPayment(args.paymentId);
        throw paymentExists(p ? await this.findLivePayment(p.orderReference) : null);
      }
      throw e;
    }
  }

  async findStaleProcessing(olderThan: Date, limit: number): Promise<Array<{ payment: PaymentRecord; paymentMethodId: string | null }>> {
    const rows = await this.db.payment.findMany({
      where: { status: 'processing', processingStartedAt: { lt: olderThan } },
      orderBy: { processingStartedAt: 'asc' },
      take: limit,
      include: { attempts: { orderBy: { attemptNumber: 'desc' }, take: 1 } },
    });
    return rows.map((r) => {
      const stored = asObject(r.attempts[0]?.gatewayResponse).payment_method_id;
      return { payment: toPaymentRecord(r), paymentMethodId: typeof stored === 'string' ? stored : null };
    });
  }

  async recordChargeOutcome(paymentId: string, attemptNumber: number, result: ChargeResult): Promise<PaymentRecord> {
    return this.db.$transaction(async (tx) => {
      const p = await lockPayment(tx, paymentId);
      if (!p) throw notFound('PAYMENT_NOT_FOUND', 'payment not found');
      const now = new Date();
      const where = { paymentId_attemptNumber: { paymentId, attemptNumber } };
      let updated: PaymentRow = p;
      const metadata = asObject(p.metadata);
      // A late answer for an attempt the payment has moved past (a slow sweep, a lookup) updates
      // its own attempt row only: the current attempt owns the payment's status.
      const current = p.attemptCount === attemptNumber && p.status === 'processing';
      switch (result.status) {
        case 'succeeded': {
          await tx.paymentAttempt.update({ where, data: { status: 'succeeded', gatewayResponse: json(result.raw), completedAt: now } });
          // A webhook may have completed it first (same transaction: the event is already out),
          // or another capture did (a duplicate: recorded for its automatic refund).
          const settled = await settleCapture(
            tx,
            p,
            { transactionId: result.transactionId, reference: result.reference, source: 'charge' },
            this.reportDuplicate,
          );
          if (settled.kind === 'completed') updated = settled.payment;
          break;
        }
        case 'declined': {
          await tx.paymentAttempt.update({
            where,
            data: { status: 'failed', gatewayResponse: json(result.raw), failureCode: result.code, failureReason: result.message, completedAt: now },
          });
          if (current) {
            updated = await tx.payment.update({
              where: { paymentId },
              data: { status: 'failed', failureReason: result.code, gatewayReference: result.reference ?? p.gatewayReference },
            });
            await emit(tx, 'payment.failed', p.orderReference, {
              payment_id: paymentId,
              order_id: p.orderReference,
              attempt_number: attemptNumber,
              reason: result.code,
            });
            updated = await closeRequestedVoid(tx, updated);
          }
          break;
        }
        case 'requires_action': {
          await tx.paymentAttempt.update({ where, data: { status: 'requires_action', gatewayResponse: json(result.raw), completedAt: now } });
          if (current) {
            updated = await tx.payment.update({
              where: { paymentId },
              data: {
                status: 'pending',
                gatewayReference: result.reference,
                metadata: json({ ...metadata, action_url: result.actionUrl ?? null }),
              },
            });
            // Waiting for the payer of an order that is gone: pending would stay chargeable.
            updated = await closeRequestedVoid(tx, updated);
          }
          break;
        }
        case 'pending': {
          await tx.paymentAttempt.update({ where, data: { status: 'awaiting_collection', gatewayResponse: json(result.raw), completedAt: now } });
          if (current) {
            updated = await tx.payment.update({
              where: { paymentId },
              data: { status: 'pending', gatewayReference: result.reference ?? null, metadata: json({ ...metadata, awaiting_collection: true }) },
            });
            // Cash on delivery: nothing to wait for online, so the order goes ahead (and ships);
            // the payment itself completes when the cash is collected.
            await emit(tx, 'payment.succeeded', p.orderReference, succeededEvent(updated));
          }
          break;
        }
        case 'processing': {
          // Still open: keep what a replay needs (payment_method_id) next to the gateway's answer.
          const open = await tx.paymentAttempt.findUnique({ where });
          await tx.paymentAttempt.update({ where, data: { gatewayResponse: json({ ...asObject(open?.gatewayResponse), ...result.raw }) } });
          if (current) updated = await tx.payment.update({ where: { paymentId }, data: { gatewayReference: result.reference } });
          break;
        }
      }
      return toPaymentRecord(updated);
    });
  }

  async recordAttemptError(paymentId: string, attemptNumber: number, error: { code: string; message: string }, keepProcessing: boolean): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const p = await lockPayment(tx, paymentId);
      if (!p) return;
      const key = { paymentId_attemptNumber: { paymentId, attemptNumber } };
      const open = await tx.paymentAttempt.findUnique({ where: key });
      await tx.paymentAttempt.update({
        where: key,
        data: keepProcessing
          ? {
              // Kept open for a replay: what it needs (payment_method_id) stays next to the error.
              gatewayResponse: json({ ...asObject(open?.gatewayResponse), error: error.code, message: error.message }),
              failureCode: error.code,
              failureReason: error.message,
            }
          : { status: 'error', failureCode: error.code, failureReason: error.message, completedAt: new Date() },
      });
      if (!keepProcessing && p.status === 'processing') {
        const failed = await tx.payment.update({ where: { paymentId }, data: { status: 'failed', failureReason: error.code } });
        await closeRequestedVoid(tx, failed);
      }
    });
  }

  async closePayment(paymentId: string, to: 'expired' | 'cancelled', reason: string): Promise<PaymentRecord | null> {
    return this.db.$transaction(async (tx) => {
      const p = await lockPayment(tx, paymentId);
      if (!p || !canTransition(p.status, to) || !VOIDABLE_STATUSES.includes(p.status)) return p ? toPaymentRecord(p) : null;
      const updated = await tx.payment.update({ where: { paymentId }, data: { status: to, failureReason: reason, cancelledAt: new Date() } });
      return toPaymentRecord(updated);
    });
  }

  async markCollected(paymentId: string, collectedBy: string): Promise<PaymentRecord> {
    return this.db.$transaction(async (tx) => {
      const p = await lockPayment(tx, paymentId);
      if (!p) throw notFound('PAYMENT_NOT_FOUND', 'payment not found');
      if (p.gatewayName !== 'cash_on_delivery') {
        throw conflict('NOT_CASH_ON_DELIVERY', 'only cash-on-delivery payments are collected by hand', { gateway: p.gatewayName });
      }
      if (p.status !== 'pending') {
        throw conflict('PAYMENT_NOT_COLLECTABLE', `a ${p.status} payment cannot be marked collected`, { status: p.status });
      }
      const metadata = asObject(p.metadata);
      const now = new Date();
      const updated = await tx.payment.update({
        where: { paymentId },
        data: {
          status: 'completed',
          completedAt: now,
          gatewayTransactionId: `cod_${paymentId}`,
          metadata: json({ ...metadata, awaiting_collection: false, collected_by: collectedBy, collected_at: now.toISOString() }),
        },
      });
      await tx.paymentAttempt.updateMany({ where: { paymentId, status: 'awaiting_collection' }, data: { status: 'succeeded', completedAt: now } });
      // Announced already when the buyer chose cash on delivery; otherwise announce it now.
      if (metadata.awaiting_collection !== true) await emit(tx, 'payment.succeeded', p.orderReference, succeededEvent(updated));
      return toPaymentRecord(updated);
    });
  }

  async applyGatewayEvent(input: GatewayEventInput): Promise<GatewayEventResult> {
    return this.db.$transaction(async (tx) => {
      const inserted = await tx.$executeRawUnsafe(
        'INSERT INTO webhook_events (provider, event_id, type, payload) VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (provider, event_id) DO NOTHING',
        input.provider,
        input.eventId,
        input.type,
        JSON.stringify(input.payload),
      );
      if (inserted === 0) return { duplicate: true } as const;

      let result = 'ignored:unhandled_type';
      let applied = false;
      let payment: PaymentRow | null = null;
      let duplicateCapture: DuplicateCaptureRecord | undefined;
      if (input.outcome) {
        payment = input.paymentId && UUID.test(input.paymentId) ? await lockPayment(tx, input.paymentId) : null;
        if (!payment) {
          result = 'ignored:unknown_payment';
        } else if (input.outcome.kind === 'succeeded') {
          const settled = await settleCapture(
            tx,
            payment,
            { transactionId: input.outcome.transactionId, reference: input.outcome.reference, source: `webhook:${input.provider}:${input.eventId}` },
            this.reportDuplicate,
          );
          if (settled.kind === 'completed') {
            payment = settled.payment;
            await tx.paymentAttempt.updateMany({
              where: {
                paymentId: payment.paymentId,
                attemptNumber: payment.attemptCount,
                status: { in: ['processing', 'failed', 'requires_action', 'error'] },
              },
              data: { status: 'succeeded', completedAt: payment.completedAt ?? new Date() },
            });
            applied = true;
            result = 'applied';
          } else if (settled.kind === 'duplicate') {
            duplicateCapture = settled.record ?? undefined;
            result = 'ignored:duplicate_capture';
          } else {
            result = `ignored:status_${payment.status}`;
          }
        } else {
          // Only an attempt still in flight can fail: a failure arriving after success (out of
          // order) or after a retry started must not undo anything.
          if (payment.status === 'processing') {
            payment = await tx.payment.update({
              where: { paymentId: payment.paymentId },
              data: { status: 'failed', failureReason: input.outcome.code },
            });
            await tx.paymentAttempt.updateMany({
              where: { paymentId: payment.paymentId, attemptNumber: payment.attemptCount, status: 'processing' },
              data: { status: 'failed', failureCode: input.outcome.code, failureReason: input.outcome.message, completedAt: new Date() },
            });
            await emit(tx, 'payment.failed', payment.orderReference, {
              payment_id: payment.paymentId,
              order_id: payment.orderReference,
              attempt_number: payment.attemptCount,
              reason: input.outcome.code,
            });
            payment = await closeRequestedVoid(tx, payment);
            applied = true;
            result = 'applied';
          } else {
            result = `ignored:status_${payment.status}`;
          }
        }
      }
      await tx.webhookEvent.update({
        where: { provider_eventId: { provider: input.provider, eventId: input.eventId } },
        data: { processed: true, processedAt: new Date(), result },
      });
      return {
        duplicate: false,
        applied,
        result,
        payment: payment ? toPaymentRecord(payment) : null,
        ...(duplicateCapture ? { duplicateCapture } : {}),
      } as const;
    });
  }

  async listDuplicateCaptures(filter: { status?: DuplicateCaptureStatus; orderReference?: string; limit: number }): Promise<DuplicateCaptureRecord[]> {
    const rows = await this.db.duplicateCapture.findMany({
      where: { ...(filter.status ? { status: filter.status } : {}), ...(filter.orderReference ? { orderReference: filter.orderReference } : {}) },
      orderBy: [{ detectedAt: 'desc' }, { id: 'asc' }],
      take: filter.limit,
    });
    return rows.map(toDuplicateCaptureRecord);
  }

  async findDuplicateCapturesToRefund(paymentId: string | null, limit: number): Promise<DuplicateCaptureRecord[]> {
    if (paymentId !== null && !UUID.test(paymentId)) return [];
    const rows = await this.db.duplicateCapture.findMany({
      where: { status: 'refund_pending', ...(paymentId ? { paymentId } : {}) },
      orderBy: { detectedAt: 'asc' },
      take: limit,
    });
    return rows.map(toDuplicateCaptureRecord);
  }

  async claimDuplicateCaptureRefund(id: string, leaseFrom: Date): Promise<DuplicateCaptureRecord | null> {
    if (!UUID.test(id)) return null;
    const claimed = await this.db.$executeRawUnsafe(
      `UPDATE duplicate_captures SET refund_started_at = now()
        WHERE id = $1::uuid AND status = 'refund_pending' AND (refund_started_at IS NULL OR refund_started_at < $2::timestamptz)`,
      id,
      leaseFrom,
    );
    if (claimed === 0) return null;
    return toDuplicateCaptureRecord(await this.db.duplicateCapture.findUniqueOrThrow({ where: { id } }));
  }

  async recordDuplicateCaptureRefund(
    id: string,
    outcome: { kind: 'refunded'; gatewayRefundId: string } | { kind: 'error'; code: string; final: boolean },
  ): Promise<DuplicateCaptureRecord> {
    // Conditional on refund_pending: a refund answered twice (two sweeps) is recorded once.
    await this.db.duplicateCapture.updateMany({
      where: { id, status: 'refund_pending' },
      data:
        outcome.kind === 'refunded'
          ? { status: 'refunded', gatewayRefundId: outcome.gatewayRefundId, refundedAt: new Date(), lastError: null, refundAttempts: { increment: 1 } }
          : { ...(outcome.final ? { status: 'refund_failed' as const } : {}), lastError: outcome.code, refundAttempts: { increment: 1 } },
    });
    return toDuplicateCaptureRecord(await this.db.duplicateCapture.findUniqueOrThrow({ where: { id } }));
  }

  async reserveRefund(args: { paymentId: string; amount?: string; reason: string; requestedBy: string }): Promise<RefundReservation> {
    return this.db.$transaction(async (tx) => {
      const p = await lockPayment(tx, args.paymentId);
      if (!p) throw notFound('PAYMENT_NOT_FOUND', 'payment not found');
      return reserveLocked(tx, p, args.amount, args.reason, args.requestedBy, null);
    });
  }

  async completeRefund(refundId: string, gatewayRefundId: string): Promise<RefundReservation> {
    return this.db.$transaction(async (tx) => {
      const refund = await tx.refund.findUnique({ where: { refundId } });
      if (!refund) throw notFound('REFUND_NOT_FOUND', 'refund not found');
      const p = (await lockPayment(tx, refund.paymentId)) as PaymentRow;
      const current = await tx.refund.findUniqueOrThrow({ where: { refundId } });
      if (!canRefundTransition(current.status, 'completed')) return { refund: toRefundRecord(current), payment: toPaymentRecord(p) };
      const done = await tx.refund.update({
        where: { refundId },
        data: { status: 'completed', gatewayRefundId, processedAt: new Date(), failureReason: null, lastError: null },
      });
      const completed = await tx.refund.findMany({ where: { paymentId: p.paymentId, status: 'completed' }, select: { amount: true } });
      const next = statusAfterRefunds(p.totalAmount.toString(), sumMoney(completed.map((r) => r.amount.toString())));
      const updated = canTransition(p.status, next) ? await tx.payment.update({ where: { paymentId: p.paymentId }, data: { status: next } }) : p;
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
      if (!canRefundTransition(current.status, 'failed')) return;
      await tx.refund.update({ where: { refundId }, data: { status: 'failed', failureReason: reason, processedAt: new Date() } });
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
    const claimed = await this.db.$executeRawUnsafe(
      `UPDATE refunds SET attempt_count = attempt_count + 1, last_attempt_at = now()
        WHERE refund_id = $1::uuid AND status = 'pending' AND (last_attempt_at IS NULL OR last_attempt_at < $2::timestamptz)`,
      refundId,
      leaseFrom,
    );
    if (claimed === 0) return null;
    const row = await this.db.refund.findUnique({ where: { refundId }, include: { payment: true } });
    if (!row) return null;
    const { payment, ...refund } = row;
    return { refund: toRefundRecord(refund), payment: toPaymentRecord(payment) };
  }

  async noteRefundPending(refundId: string, error: string): Promise<RefundReservation | null> {
    const updated = await this.db.refund.updateMany({ where: { refundId, status: 'pending' }, data: { lastError: error.slice(0, 500) } });
    if (updated.count === 0) return null;
    const row = await this.db.refund.findUnique({ where: { refundId }, include: { payment: true } });
    if (!row) return null;
    const { payment, ...refund } = row;
    return { refund: toRefundRecord(refund), payment: toPaymentRecord(payment) };
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

  async voidForOrder(claim: InboxClaim, orderId: string, reason: string): Promise<CommandEffect> {
    return this.db.$transaction(async (tx) => {
      if (!(await claimInbox(tx, claim.consumer, claim.eventId))) return { kind: 'duplicate' } as const;
      const payments = await lockOrderPayments(tx, orderId);
      if (payments.length === 0) {
        await emit(tx, 'payment.voided', orderId, { payment_id: null, order_id: orderId, reason });
        return { kind: 'voided', payments: [] } as const;
      }
      const voided = await cancelVoidable(tx, payments, reason);
      // A charge in flight answers the void when it ends: a capture as payment.succeeded (the saga
      // refunds it), anything else by closing the payment as this void would have. Recorded with
      // the inbox claim, so the request survives a crash between the two.
      const inFlight = await requestVoidOfCharges(tx, payments, reason, claim.eventId);
      if (voided.length === 0) {
        const why = inFlight > 0 ? 'charge in flight: void recorded for its ending' : 'no voidable payment';
        return { kind: 'nothing', reason: `${why} (${payments.map((p) => p.status).join(', ')})` } as const;
      }
      return { kind: 'voided', payments: voided } as const;
    });
  }

  async refundForOrder(claim: InboxClaim, orderId: string, reason: string): Promise<CommandEffect> {
    return this.db.$transaction(async (tx) => {
      if (!(await claimInbox(tx, claim.consumer, claim.eventId))) return { kind: 'duplicate' } as const;
      const payments = await lockOrderPayments(tx, orderId);
      // Everything the buyer paid goes back, fee included: the platform cancelled the order.
      const refundable = payments.find((p) => REFUNDABLE_STATUSES.includes(p.status) && p.totalAmount.greaterThan(p.refundedAmount));
      if (refundable) {
        const reservation = await reserveLocked(tx, refundable, undefined, reason, 'saga', claim.eventId);
        return { kind: 'refund_reserved', reservation } as const;
      }
      // A refund or a charge still in flight: its completion answers (payment.refunded, or
      // payment.succeeded which the saga answers with another payment.refund).
      const pendingRefunds = await tx.refund.count({ where: { paymentId: { in: payments.map((p) => p.paymentId) }, status: 'pending' } });
      if (pendingRefunds > 0 || payments.some((p) => p.status === 'processing')) {
        return { kind: 'nothing', reason: pendingRefunds > 0 ? 'refund in progress' : 'charge in progress' } as const;
      }
      // The saga waits for payment.refunded, so every other case answers with one: what was
      // refunded already, or 0.00 when nothing was ever captured (cash not collected, card
      // never charged), after cancelling whatever could still be charged.
      const voided = await cancelVoidable(tx, payments, reason);
      const refunded = payments.find((p) => p.status === 'refunded' || p.status === 'partially_refunded');
      if (refunded) {
        const last = await tx.refund.findFirst({ where: { paymentId: refunded.paymentId, status: 'completed' }, orderBy: { processedAt: 'desc' } });
        await emit(tx, 'payment.refunded', orderId, {
          payment_id: refunded.paymentId,
          order_id: orderId,
          refund_id: last?.refundId ?? '',
          amount: money2(refunded.refundedAmount),
          reason: last?.reason ?? reason,
        });
        return { kind: 'nothing', reason: 'already refunded' } as const;
      }
      const latest = payments[payments.length - 1];
      await emit(tx, 'payment.refunded', orderId, { payment_id: latest?.paymentId ?? '', order_id: orderId, refund_id: '', amount: '0.00', reason });
      if (voided.length > 0) return { kind: 'voided', payments: voided } as const;
      return { kind: 'nothing', reason: payments.length === 0 ? 'no payment for the order' : 'nothing captured' } as const;
    });
  }

  async refundKeyedForOrder(claim: InboxClaim, orderId: string, reason: string, request: KeyedRefundRequest): Promise<CommandEffect> {
    return this.db.$transaction(async (tx) => {
      if (!(await claimInbox(tx, claim.consumer, claim.eventId))) return { kind: 'duplicate' } as const;
      // The order's payment rows locked first: a second command with the same key (or another
      // key) waits here, then reads the refunds this one recorded.
      const payments = await lockOrderPayments(tx, orderId);
      const sameKey =
        payments.length === 0
          ? []
          : await tx.refund.findMany({
              where: { paymentId: { in: payments.map((p) => p.paymentId) }, refundKey: request.refundKey },
              orderBy: { createdAt: 'asc' },
            });
      const decision = decideKeyedRefund(sameKey, payments.map(refundable), request.amount);
      const key = { refund_key: request.refundKey };
      switch (decision.kind) {
        case 'in_progress':
          return { kind: 'nothing', reason: `refund ${decision.refund.refundId} under this key in progress` } as const;
        case 'refunded_before': {
          const r = decision.refund;
          await emit(tx, 'payment.refunded', orderId, {
            payment_id: r.paymentId,
            order_id: orderId,
            refund_id: r.refundId,
            amount: money2(r.amount),
            reason: r.reason,
            ...key,
          });
          return { kind: 'nothing', reason: `refunded before (${r.refundId})` } as const;
        }
        case 'nothing_to_refund':
          // Nothing is voided: a part of the order is given back, the rest may still be paid (cash
          // collected on delivery of the other stores' parts).
          await emit(tx, 'payment.refunded', orderId, {
            payment_id: decision.paymentId ?? '',
            order_id: orderId,
            refund_id: '',
            amount: '0.00',
            reason,
            ...key,
          });
          return { kind: 'nothing', reason: decision.why === 'nothing_captured' ? 'nothing captured' : 'nothing left to refund' } as const;
        case 'reserve': {
          const p = payments.find((x) => x.paymentId === decision.paymentId) as PaymentRow;
          const reservation = await reserveLocked(tx, p, decision.amount, reason, 'saga', claim.eventId, request.refundKey);
          return { kind: 'refund_reserved', reservation, ...(decision.clamped ? { requested: decision.requested } : {}) } as const;
        }
      }
    });
  }

  async collectForOrder(claim: InboxClaim, orderId: string, amount: string): Promise<CommandEffect> {
    return this.db.$transaction(async (tx) => {
      if (!(await claimInbox(tx, claim.consumer, claim.eventId))) return { kind: 'duplicate' } as const;
      // Locked like a seller's collect/ and the refunds: neither can interleave with this.
      const payments = await lockOrderPayments(tx, orderId);
      // An amount above the payment's total throws here (invalid): the claim rolls back with the
      // transaction and the bus parks the command.
      const decision = decideCollection(payments.map(cashPayment), amount);
      switch (decision.kind) {
        case 'collected_before':
          return { kind: 'nothing', reason: `collected before (${decision.paymentId}, ${decision.totalAmount})` } as const;
        case 'nothing_to_collect':
          return { kind: 'nothing', reason: `no cash payment awaiting collection (${decision.why})` } as const;
        case 'collect': {
          const p = payments.find((x) => x.paymentId === decision.paymentId) as PaymentRow;
          const now = new Date();
          const ordered = decision.ordered
            ? { ordered_amount: decision.ordered.amount, ordered_gateway_fee: decision.ordered.gatewayFee, ordered_total_amount: decision.ordered.totalAmount }
            : {};
          const updated = await tx.payment.update({
            where: { paymentId: p.paymentId },
            data: {
              status: 'completed',
              completedAt: now,
              gatewayTransactionId: `cod_${p.paymentId}`,
              amount: decision.amount,
              gatewayFee: decision.gatewayFee,
              totalAmount: decision.totalAmount,
              metadata: json({
                ...asObject(p.metadata),
                awaiting_collection: false,
                collected_by: 'stores',
                collected_at: now.toISOString(),
                collected_by_event: claim.eventId,
                ...ordered,
              }),
            },
          });
          await tx.paymentAttempt.updateMany({
            where: { paymentId: p.paymentId, status: 'awaiting_collection' },
            data: { status: 'succeeded', completedAt: now },
          });
          // No event, as with collect/: payment.succeeded went out when the buyer chose cash on
          // delivery (awaiting_collection), and the order asked for this completion itself.
          return {
            kind: 'collected',
            payment: toPaymentRecord(updated),
            ...(decision.ordered ? { orderedTotalAmount: decision.ordered.totalAmount } : {}),
          } as const;
        }
      }
    });
  }
}

const cashPayment = (p: PaymentRow) => ({
  paymentId: p.paymentId,
  gateway: p.gatewayName,
  status: p.status,
  amount: money2(p.amount),
  gatewayFee: money2(p.gatewayFee),
  totalAmount: money2(p.totalAmount),
  awaitingCollection: asObject(p.metadata).awaiting_collection === true,
});

const refundable = (p: PaymentRow) => ({
  paymentId: p.paymentId,
  status: p.status,
  totalAmount: p.totalAmount.toString(),
  refundedAmount: p.refundedAmount.toString(),
});

async function reserveLocked(
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

/** Another payment of the same order that is live (so this one cannot become completed). */
async function otherLivePayment(tx: Tx, p: PaymentRow): Promise<PaymentRow | null> {
  if (p.status === 'processing' || p.status === 'pending') return null; // it is the live one
  return tx.payment.findFirst({
    where: { orderReference: p.orderReference, paymentId: { not: p.paymentId }, status: { in: ['pending', 'processing', 'completed'] } },
  });
}

type CaptureSettlement =
  | { kind: 'completed'; payment: PaymentRow }
  /** record null: this transaction was recorded as a duplicate before (a replayed answer). */
  | { kind: 'duplicate'; record: DuplicateCaptureRecord | null }
  | { kind: 'ignored' };

/**
 * A gateway says money was captured for payment `p` (a charge answer or a webhook), with the row
 * locked. It completes the payment, or it is the capture already recorded (a replay), or it is a
 * second capture: for a payment already paid with another transaction, or for one the order no
 * longer counts on because another payment of the order is live. A second capture is money the
 * buyer paid twice: recorded once per transaction, for its automatic refund.
 */
async function settleCapture(
  tx: Tx,
  p: PaymentRow,
  capture: { transactionId: string; reference?: string; source: string },
  report: DuplicateReporter,
): Promise<CaptureSettlement> {
  if (canTransition(p.status, 'completed')) {
    const live = await otherLivePayment(tx, p);
    if (live) return { kind: 'duplicate', record: await flagDuplicateCapture(tx, p, capture, live, report) };
    const updated = await tx.payment.update({
      where: { paymentId: p.paymentId },
      data: {
        status: 'completed',
        gatewayTransactionId: capture.transactionId,
        gatewayReference: capture.reference ?? p.gatewayReference,
        completedAt: new Date(),
        failureReason: null,
      },
    });
    await emit(tx, 'payment.succeeded', p.orderReference, succeededEvent(updated));
    return { kind: 'completed', payment: updated };
  }
  if (REFUNDABLE_STATUSES.includes(p.status) || p.status === 'refunded') {
    if (p.gatewayTransactionId === capture.transactionId) return { kind: 'ignored' };
    return { kind: 'duplicate', record: await flagDuplicateCapture(tx, p, capture, null, report) };
  }
  return { kind: 'ignored' };
}

/**
 * Records a second capture (once per gateway transaction) for its automatic refund. A payment
 * kept out of `completed` by another live payment of its order also says so on itself.
 */
async function flagDuplicateCapture(
  tx: Tx,
  p: PaymentRow,
  capture: { transactionId: string; source: string },
  live: PaymentRow | null,
  report: DuplicateReporter,
): Promise<DuplicateCaptureRecord | null> {
  const id = randomUUID();
  const inserted = await tx.$executeRawUnsafe(
    `INSERT INTO duplicate_captures (id, payment_id, order_reference, gateway, transaction_id, amount, currency, source, live_payment_id)
     VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6::numeric, $7, $8, $9::uuid) ON CONFLICT (gateway, transaction_id) DO NOTHING`,
    id,
    p.paymentId,
    p.orderReference,
    p.gatewayName,
    capture.transactionId,
    // Every charge of a payment asks its total_amount, so that is what the second capture took.
    p.totalAmount.toString(),
    p.currency,
    capture.source,
    live?.paymentId ?? null,
  );
  if (inserted === 0) return null;
  if (live) {
    const metadata = asObject(p.metadata);
    await tx.payment.update({
      where: { paymentId: p.paymentId },
      data: {
        metadata: json({
          ...metadata,
          duplicate_capture: { id, transaction_id: capture.transactionId, live_payment_id: live.paymentId, at: new Date().toISOString() },
        }),
        failureReason: 'duplicate_capture',
      },
    });
  }
  report({
    duplicate_capture_id: id,
    payment_id: p.paymentId,
    order_id: p.orderReference,
    transaction_id: capture.transactionId,
    live_payment_id: live?.paymentId ?? null,
  });
  return toDuplicateCaptureRecord(await tx.duplicateCapture.findUniqueOrThrow({ where: { id } }));
}

function toDuplicateCaptureRecord(r: DuplicateCaptureRow): DuplicateCaptureRecord {
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

type DuplicateReporter = (fields: Record<string, unknown>) => void;

/** Marks every charge in flight as voided by the order (once: the first request's reason stands). */
async function requestVoidOfCharges(tx: Tx, payments: PaymentRow[], reason: string, eventId: string): Promise<number> {
  let n = 0;
  for (const p of payments) {
    if (p.status !== 'processing') continue;
    n += 1;
    const metadata = asObject(p.metadata);
    if (voidRequestOf(metadata)) continue;
    await tx.payment.update({
      where: { paymentId: p.paymentId },
      data: { metadata: json({ ...metadata, void_requested: { reason, requested_at: new Date().toISOString(), event_id: eventId } }) },
    });
  }
  return n;
}

/**
 * A charge the order asked to void while it was in flight has ended without a capture (declined,
 * a definite gateway error, waiting for the payer): the payment, now `failed` or `pending`, closes
 * as the void would have, and payment.voided answers that void. Anything else is returned as is.
 */
async function closeRequestedVoid(tx: Tx, p: PaymentRow): Promise<PaymentRow> {
  const request = voidRequestOf(asObject(p.metadata));
  if (!request || !VOIDABLE_STATUSES.includes(p.status)) return p;
  const to = voidedStatusFor(request.reason);
  if (!canTransition(p.status, to)) return p;
  const updated = await tx.payment.update({
    where: { paymentId: p.paymentId },
    data: { status: to, cancelledAt: new Date(), failureReason: request.reason },
  });
  await emit(tx, 'payment.voided', p.orderReference, { payment_id: p.paymentId, order_id: p.orderReference, reason: request.reason });
  return updated;
}

async function cancelVoidable(tx: Tx, payments: PaymentRow[], reason: string): Promise<PaymentRecord[]> {
  const out: PaymentRecord[] = [];
  const to = voidedStatusFor(reason);
  for (const p of payments) {
    if (!VOIDABLE_STATUSES.includes(p.status)) continue;
    const updated = await tx.payment.update({
      where: { paymentId: p.paymentId },
      data: { status: to, cancelledAt: new Date(), failureReason: reason },
    });
    await emit(tx, 'payment.voided', p.orderReference, { payment_id: p.paymentId, order_id: p.orderReference, reason });
    out.push(toPaymentRecord(updated));
  }
  return out;
}
