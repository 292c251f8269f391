// duplicate_captures: a second capture seen for a payment (once per gateway transaction) and its
// automatic refund. `settleCapture` runs inside the charge and webhook stores' transactions.
import { randomUUID } from 'node:crypto';
import { captureMayCompete, captureVerdict, duplicateCaptureTransitions } from '../domain/captures';
import { LIVE_STATUSES } from '../domain/payment-status';
import type { DuplicateCaptureStore } from '../app/ports';
import type { DuplicateCaptureRecord, DuplicateCaptureStatus } from '../app/records';
import type { Clock } from '../app/ports';
import { asObject, json, toDuplicateCaptureRecord, UUID, type PaymentRow, type Tx } from './payment-rows';
import { emit, movePayment, succeededEvent } from './payment-tx';
import type { Db } from './prisma';

export type DuplicateReporter = (fields: Record<string, unknown>) => void;

export type CaptureSettlement =
  | { kind: 'completed'; payment: PaymentRow }
  /** record null: this transaction was recorded as a duplicate before (a replayed answer). */
  | { kind: 'duplicate'; record: DuplicateCaptureRecord | null }
  | { kind: 'ignored' };

/**
 * A gateway says money was captured for payment `p` (a charge answer or a webhook), with the row
 * locked: what that means is domain/captures.ts's verdict. A completion is announced with
 * payment.succeeded; a second capture is recorded once per transaction for its automatic refund.
 */
export async function settleCapture(
  tx: Tx,
  p: PaymentRow,
  capture: { transactionId: string; reference?: string; source: string },
  now: Date,
  report: DuplicateReporter,
): Promise<CaptureSettlement> {
  const live = captureMayCompete(p) ? await otherLivePayment(tx, p) : null;
  switch (captureVerdict(p, capture.transactionId, live !== null)) {
    case 'complete': {
      const updated = await movePayment(tx, p, 'completed', {
        gatewayTransactionId: capture.transactionId,
        gatewayReference: capture.reference ?? p.gatewayReference,
        completedAt: now,
        failureReason: null,
      });
      await emit(tx, 'payment.succeeded', p.orderReference, succeededEvent(updated));
      return { kind: 'completed', payment: updated };
    }
    case 'duplicate':
      return { kind: 'duplicate', record: await flagDuplicateCapture(tx, p, capture, live, now, report) };
    case 'replayed':
    case 'ignored':
      return { kind: 'ignored' };
  }
}

/** Another payment of the same order that is live (so this one cannot become completed). */
function otherLivePayment(tx: Tx, p: PaymentRow): Promise<PaymentRow | null> {
  return tx.payment.findFirst({
    where: { orderReference: p.orderReference, paymentId: { not: p.paymentId }, status: { in: [...LIVE_STATUSES] } },
  });
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
  now: Date,
  report: DuplicateReporter,
): Promise<DuplicateCaptureRecord | null> {
  const id = randomUUID();
  // ON CONFLICT (gateway, transaction_id) DO NOTHING: a capture reported again is no new duplicate.
  const { count } = await tx.duplicateCapture.createMany({
    data: {
      id,
      paymentId: p.paymentId,
      orderReference: p.orderReference,
      gateway: p.gatewayName,
      transactionId: capture.transactionId,
      // Every charge of a payment asks its total_amount, so that is what the second capture took.
      amount: p.totalAmount,
      currency: p.currency,
      source: capture.source,
      livePaymentId: live?.paymentId ?? null,
    },
    skipDuplicates: true,
  });
  if (count === 0) return null;
  if (live) {
    await tx.payment.update({
      where: { paymentId: p.paymentId },
      data: {
        metadata: json({
          ...asObject(p.metadata),
          duplicate_capture: { id, transaction_id: capture.transactionId, live_payment_id: live.paymentId, at: now.toISOString() },
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

export class PrismaDuplicateCaptureStore implements DuplicateCaptureStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

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
    // A conditional UPDATE: of concurrent callers one takes the lease, the others touch no row.
    const { count } = await this.db.duplicateCapture.updateMany({
      where: { id, status: 'refund_pending', OR: [{ refundStartedAt: null }, { refundStartedAt: { lt: leaseFrom } }] },
      data: { refundStartedAt: this.clock.now() },
    });
    if (count === 0) return null;
    return toDuplicateCaptureRecord(await this.db.duplicateCapture.findUniqueOrThrow({ where: { id } }));
  }

  async recordDuplicateCaptureRefund(
    id: string,
    outcome: { kind: 'refunded'; gatewayRefundId: string } | { kind: 'error'; code: string; final: boolean },
  ): Promise<DuplicateCaptureRecord> {
    // Conditional on the states that may still settle (refund_pending): a refund answered twice
    // (two sweeps) is recorded once. An error that is not final only notes itself.
    const to: DuplicateCaptureStatus = outcome.kind === 'refunded' ? 'refunded' : 'refund_failed';
    const final = outcome.kind === 'refunded' || outcome.final;
    await this.db.duplicateCapture.updateMany({
      where: { id, status: { in: duplicateCaptureTransitions.sourcesOf(to) } },
      data:
        outcome.kind === 'refunded'
          ? { status: to, gatewayRefundId: outcome.gatewayRefundId, refundedAt: this.clock.now(), lastError: null, refundAttempts: { increment: 1 } }
          : { ...(final ? { status: to } : {}), lastError: outcome.code, refundAttempts: { increment: 1 } },
    });
    return toDuplicateCaptureRecord(await this.db.duplicateCapture.findUniqueOrThrow({ where: { id } }));
  }
}
