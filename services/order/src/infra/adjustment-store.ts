import type { AdjustmentTx, CheckoutTx, Clock } from '../app/ports';
import { isUuid } from '../domain/errors';
import type { Actor } from '../domain/order-status';
import type { Prisma } from '../generated/prisma/client';
import type { AdjustmentKind, AdjustmentLine, AdjustmentSnapshot, AdjustmentStatus } from '../saga/adjustment.saga';
import type { SagaCommand } from '../saga/saga-types';

type Tx = Prisma.TransactionClient;
type AdjustmentRow = Prisma.OrderAdjustmentGetPayload<object>;

/** One adjustment whose command is due for a re-send; FOR UPDATE OF the order (the lock every writer takes first) SKIP LOCKED, which Prisma cannot express. */
export const DUE_ADJUSTMENT = `
  SELECT a.order_id::text, a.adjustment_id::text
    FROM order_adjustments a JOIN orders o ON o.order_id = a.order_id
   WHERE a.next_retry_at <= $1 AND jsonb_array_length(a.awaiting) > 0
   ORDER BY a.next_retry_at LIMIT 1
     FOR UPDATE OF o SKIP LOCKED`;

export function adjustmentFromRow(r: AdjustmentRow): AdjustmentSnapshot {
  return {
    id: r.id,
    orderId: r.orderId,
    kind: r.kind as AdjustmentKind,
    storeId: r.storeId,
    status: r.status as AdjustmentStatus,
    reason: r.reason,
    requestedBy: { id: r.requestedBy, role: r.requestedRole as Actor },
    refundAmount: r.refundAmount === null ? null : r.refundAmount.toFixed(2),
    refundedAmount: r.refundedAmount === null ? null : r.refundedAmount.toFixed(2),
    refundId: r.refundId,
    lines: r.lines as unknown as AdjustmentLine[],
    restock: r.restock,
    awaiting: r.awaiting as unknown as SagaCommand[],
    attempts: r.attempts,
    nextRetryAt: r.nextRetryAt,
    stuck: r.stuck,
    lastError: r.lastError,
  };
}

function stateOf(a: AdjustmentSnapshot) {
  return {
    status: a.status,
    refundAmount: a.refundAmount,
    refundedAmount: a.refundedAmount,
    refundId: a.refundId,
    lines: a.lines as unknown as Prisma.InputJsonValue,
    restock: a.restock,
    awaiting: a.awaiting as unknown as Prisma.InputJsonValue,
    attempts: a.attempts,
    nextRetryAt: a.nextRetryAt,
    stuck: a.stuck,
    lastError: a.lastError,
  };
}

/** The adjustment half of AdjustmentTx over one Prisma interactive transaction (the order is locked by lockSaga). */
/** The adjustments' part of the port; `clock` stamps completed_at and collected_at. */
export function adjustmentTx(tx: Tx, clock: Clock): Omit<AdjustmentTx, keyof CheckoutTx> {
  return {
    async orderOfAdjustment(adjustmentId) {
      if (!isUuid(adjustmentId)) return null;
      const a = await tx.orderAdjustment.findUnique({ where: { id: adjustmentId }, select: { orderId: true } });
      return a?.orderId ?? null;
    },
    async adjustmentsOf(orderId) {
      const rows = await tx.orderAdjustment.findMany({ where: { orderId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
      return rows.map(adjustmentFromRow);
    },
    async insertAdjustment(a) {
      await tx.orderAdjustment.create({
        data: {
          id: a.id,
          orderId: a.orderId,
          kind: a.kind,
          storeId: a.storeId,
          reason: a.reason,
          requestedBy: a.requestedBy.id,
          requestedRole: a.requestedBy.role,
          ...stateOf(a),
        },
      });
    },
    async saveAdjustment(a, opts = {}) {
      await tx.orderAdjustment.update({
        where: { id: a.id },
        data: {
          ...stateOf(a),
          ...(opts.completed ? { completedAt: clock.now() } : {}),
          ...(opts.decidedBy ? { decidedBy: opts.decidedBy.id } : {}),
          ...(opts.decisionReason !== undefined ? { decisionReason: opts.decisionReason } : {}),
        },
      });
    },
    async linesOf(orderId) {
      const rows = await tx.orderItem.findMany({
        where: { orderId },
        select: { id: true, storeId: true, quantity: true, price: true },
        orderBy: { id: 'asc' },
      });
      return rows.map((r) => ({ lineId: r.id, storeId: r.storeId, quantity: r.quantity, price: r.price.toFixed(2) }));
    },
    async fulfillmentPartsOf(orderId) {
      const rows = await tx.fulfillment.findMany({
        where: { orderId },
        select: { storeId: true, subtotal: true, deliveredAt: true, collectedAmount: true },
        orderBy: { storeId: 'asc' },
      });
      return rows.map((r) => ({
        storeId: r.storeId,
        subtotal: r.subtotal.toFixed(2),
        deliveredAt: r.deliveredAt,
        collectedAmount: r.collectedAmount === null ? null : r.collectedAmount.toFixed(2),
      }));
    },
    async markCollected(orderId, storeId, amount) {
      await tx.fulfillment.update({ where: { orderId_storeId: { orderId, storeId } }, data: { collectedAt: clock.now(), collectedAmount: amount } });
    },
  };
}
