import { conflict, invalid } from '@sudamall/shared';
import type { OrderStatus } from '../domain/order-status';
import { commandLog, firstRetryAt } from '../saga/in-flight';
import { decide, stepIn } from '../saga/saga-engine';
import { isFinished, isUnwound } from '../saga/saga-state';
import type { SagaCommand, SagaDecision, SagaSnapshot, SagaTimings, StepLogEntry } from '../saga/saga-types';

// What an operator's action does to a saga, as pure functions of (saga, order status, clock):
// the dashboard's use case persists the decision with the audit row in one transaction.

export const ADMIN_ACTIONS = ['retry', 'compensate', 'resolve'] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

export const sagaFinished = (orderId: string, state: string) =>
  conflict('SAGA_FINISHED', `the saga of order ${orderId} is ${state}: nothing to act on`, { order_id: orderId, state });

/** The step log line an operator action leaves in the timeline (kind `admin`). */
export interface AdminLogEntry {
  step: string;
  kind: 'admin';
  type: string;
  payload: Record<string, unknown>;
}

export interface AdminDecision {
  decision: SagaDecision;
  /** Extra timeline line, besides the decision's own log. */
  adminLog: AdminLogEntry;
}

/**
 * Retry the current step: re-send what the saga is waiting a reply for (or the step's own
 * command when nothing is outstanding), as a fresh first attempt — attempts back to 1, the step
 * timeout restarted, the stuck flag cleared. Participants are idempotent, so a re-send that
 * crosses a late reply is harmless.
 */
export function retryDecision(orderId: string, saga: SagaSnapshot, t: SagaTimings, by: string): AdminDecision {
  if (isFinished(saga.state)) throw sagaFinished(orderId, saga.state);
  let commands: SagaCommand[] = saga.awaiting;
  if (commands.length === 0) {
    const step = stepIn(saga.state);
    const cmd = step?.invoke?.(saga.context);
    commands = cmd ? [cmd] : [];
  }
  if (commands.length === 0) {
    throw conflict('NOTHING_TO_RETRY', `the saga of order ${orderId} waits for no command reply (step ${saga.currentStep})`, {
      order_id: orderId,
      step: saga.currentStep,
    });
  }
  const log: StepLogEntry[] = commands.map((c) => commandLog(saga.currentStep, 'retry', c));
  const awaiting = commands.filter((c) => c.replies.length > 0);
  return {
    decision: {
      saga: {
        ...saga,
        awaiting,
        attempts: 1,
        stuck: false,
        lastError: null,
        stepStartedAt: t.now,
        nextRetryAt: awaiting.length > 0 ? firstRetryAt(t) : null,
      },
      commands,
      log,
    },
    adminLog: { step: saga.currentStep, kind: 'admin', type: 'admin.retry', payload: { by, resent: commands.map((c) => c.type) } },
  };
}

/**
 * Compensate now: cancel the order and unwind, through the saga's own cancellation forced: the
 * step in flight is aborted and the completed ones compensated, newest first. For a saga stuck
 * confirming stock (paid, not cancellable by a buyer) that is a restock (the confirm may already
 * have sold the units) and the refund. A saga already compensating re-sends its compensations.
 */
export function compensateDecision(orderId: string, saga: SagaSnapshot, orderStatus: OrderStatus, reason: string, t: SagaTimings, by: string): AdminDecision {
  if (isFinished(saga.state)) throw sagaFinished(orderId, saga.state);
  const adminLog: AdminLogEntry = { step: saga.currentStep, kind: 'admin', type: 'admin.compensate', payload: { by, reason } };
  // Compensating (compensated is finished): its compensations are re-sent.
  if (isUnwound(saga.state)) {
    return { decision: retryDecision(orderId, saga, t, by).decision, adminLog };
  }
  return { decision: decide(saga, orderStatus, { kind: 'cancel', reason, force: true }, t), adminLog };
}

/**
 * Mark resolved: the operator fixed things by hand. The saga stops waiting (no more re-sends)
 * and is no longer flagged stuck; its state stays as it is, so the record tells what was left.
 */
export function resolveDecision(orderId: string, saga: SagaSnapshot, note: string, by: string): AdminDecision {
  if (!note.trim()) throw invalid('NOTE_REQUIRED', 'say why the saga is resolved (note)', { order_id: orderId });
  if (isFinished(saga.state) && !saga.stuck && saga.awaiting.length === 0) throw sagaFinished(orderId, saga.state);
  return {
    decision: {
      saga: { ...saga, awaiting: [], nextRetryAt: null, stuck: false, lastError: null },
      commands: [],
      log: [],
    },
    adminLog: {
      step: saga.currentStep,
      kind: 'admin',
      type: 'admin.resolve',
      payload: { by, note, dropped: saga.awaiting.map((c) => c.type) },
    },
  };
}
