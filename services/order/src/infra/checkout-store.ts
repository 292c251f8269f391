import { claimInbox, outboxRow } from '@sudamall/shared';
import type { CheckoutTx, UnitOfWork } from '../app/ports';
import type { OrderStatus } from '../domain/order-status';
import { isUuid } from '../domain/errors';
import type { Prisma } from '../generated/prisma/client';
import type { CheckoutContext, SagaCommand, SagaSnapshot, SagaState } from '../saga/saga-types';
import type { Db } from './prisma';

type Tx = Prisma.TransactionClient;

export function sagaFromRow(row: {
  state: string;
  currentStep: string;
  attempts: number;
  awaiting: unknown;
  context: unknown;
  stepStartedAt: Date;
  deadlineAt: Date | null;
  nextRetryAt: Date | null;
  stuck: boolean;
  lastError: string | null;
}): SagaSnapshot {
  return {
    state: row.state as SagaState,
    currentStep: row.currentStep,
    attempts: row.attempts,
    awaiting: row.awaiting as SagaCommand[],
    context: row.context as CheckoutContext,
    stepStartedAt: row.stepStartedAt,
    deadlineAt: row.deadlineAt,
    nextRetryAt: row.nextRetryAt,
    stuck: row.stuck,
    lastError: row.lastError,
  };
}

export function sagaToRow(s: SagaSnapshot) {
  return {
    state: s.state,
    currentStep: s.currentStep,
    attempts: s.attempts,
    awaiting: s.awaiting as unknown as Prisma.InputJsonValue,
    context: s.context as unknown as Prisma.InputJsonValue,
    stepStartedAt: s.stepStartedAt,
    deadlineAt: s.deadlineAt,
    nextRetryAt: s.nextRetryAt,
    stuck: s.stuck,
    lastError: s.lastError,
  };
}

/** The CheckoutTx port over one Prisma interactive transaction. */
export function checkoutTx(tx: Tx): CheckoutTx {
  return {
    claimInbox: (consumer, eventId) => claimInbox(tx, consumer, eventId),
    async lockSaga(orderId) {
      if (!isUuid(orderId)) return null;
      // Every writer locks the order row first (then touches the saga), so no two paths deadlock.
      const locked = await tx.$queryRaw<Array<{ order_id: string }>>`SELECT order_id FROM orders WHERE order_id = ${orderId}::uuid FOR UPDATE`;
      if (locked.length === 0) return null;
      const order = await tx.order.findUnique({
        where: { id: orderId },
        select: { id: true, userId: true, status: true, storeIds: true, paymentExpiresAt: true, saga: true },
      });
      if (!order?.saga) return null;
      const { saga, ...head } = order;
      return { order: { ...head, status: head.status as OrderStatus }, saga: sagaFromRow(saga) };
    },
    async changeOrderStatus(orderId, from, change, by, notes) {
      const updated = await tx.order.updateMany({
        where: { id: orderId, status: from },
        data: {
          status: change.to,
          ...(change.to === 'cancelled' ? { cancelReason: change.reason ?? 'cancelled' } : {}),
          ...(change.shortLines ? { shortLines: change.shortLines as unknown as Prisma.InputJsonValue } : {}),
          ...(change.paymentExpiresAt ? { paymentExpiresAt: change.paymentExpiresAt } : {}),
        },
      });
      // The row is locked, so this only happens on a programming error; refuse rather than fork history.
      if (updated.count !== 1) throw new Error(`order ${orderId} is no longer ${from}`);
      await tx.orderStatusHistory.create({
        data: { orderId, fromStatus: from, toStatus: change.to, changedBy: by.id, actorRole: by.role, reason: change.reason ?? null, notes: notes ?? null },
      });
    },
    async saveSaga(orderId, saga) {
      await tx.sagaInstance.update({ where: { orderId }, data: sagaToRow(saga) });
    },
    async appendStepLog(orderId, entries) {
      await tx.sagaStepLog.createMany({
        data: entries.map((e) => ({ orderId, step: e.step, kind: e.kind, type: e.type, payload: (e.payload ?? {}) as Prisma.InputJsonValue })),
      });
    },
    async enqueue(topic, envelope) {
      const row = outboxRow(topic, envelope);
      await tx.outboxMessage.create({ data: { ...row, payload: row.payload as unknown as Prisma.InputJsonValue } });
    },
  };
}

export class PrismaUnitOfWork implements UnitOfWork {
  constructor(private readonly db: Db) {}

  run<T>(fn: (tx: CheckoutTx) => Promise<T>): Promise<T> {
    return this.db.$transaction((tx) => fn(checkoutTx(tx)), { timeout: 15000, maxWait: 10000 });
  }

  /** Same, with the raw Prisma transaction too (for claims that are SQL, not port calls). */
  runRaw<T>(fn: (tx: Tx, port: CheckoutTx) => Promise<T>): Promise<T> {
    return this.db.$transaction((tx) => fn(tx, checkoutTx(tx)), { timeout: 15000, maxWait: 10000 });
  }
}
