import { conflict, Topics } from '@sudamall/shared';
import type { Actor } from '../domain/order-status';
import { commandLog, firstRetryAt, holdRefused, resend, type RetryTimings } from './in-flight';
import type { ReplyType, SagaCommand, StepLogEntry } from './saga-types';

// A change to a paid order runs as a saga of its own, beside the checkout saga that is done by
// then: a cancellation (one store's part or the whole order) or an approved return. Its steps
// are the list below: refund the buyer through the payment's gateway, then give the units back
// to stock; the order's fulfilments are marked (cancelled) only once both are done. The
// adjustment's id names its refund (refund_key) and its restock (restock_id), so a re-sent
// command is applied once and its answer finds the adjustment it belongs to.

export type AdjustmentKind = 'cancellation' | 'return';
/** requested: a return waiting for its store's answer; refunding / restocking: the step in flight. */
export type AdjustmentStatus = 'requested' | 'refunding' | 'restocking' | 'completed' | 'rejected';
export const ADJUSTMENT_STATUSES: readonly AdjustmentStatus[] = ['requested', 'refunding', 'restocking', 'completed', 'rejected'];

/**
 * An adjustment's lifecycle: a return waits for its store's answer (rejected, or run); a running
 * one goes forward through the steps it needs to completed. Every status written goes through
 * `transitionAdjustment`; anything not listed is refused.
 */
export const ADJUSTMENT_TRANSITIONS: Readonly<Record<AdjustmentStatus, readonly AdjustmentStatus[]>> = {
  requested: ['refunding', 'restocking', 'completed', 'rejected'],
  refunding: ['restocking', 'completed'],
  restocking: ['completed'],
  completed: [],
  rejected: [],
};

/** `a` moved to `to` when the table allows it (staying put always is); a refused move is a programming error made visible (409). */
export function transitionAdjustment<T extends Pick<AdjustmentSnapshot, 'id' | 'status'>>(a: T, to: AdjustmentStatus): T {
  if (a.status !== to && !ADJUSTMENT_TRANSITIONS[a.status].includes(to)) {
    throw conflict('INVALID_ADJUSTMENT_TRANSITION', `adjustment ${a.id} cannot go from ${a.status} to ${to}`, {
      adjustment_id: a.id,
      from: a.status,
      to,
      allowed: ADJUSTMENT_TRANSITIONS[a.status],
    });
  }
  return { ...a, status: to };
}

export interface AdjustmentLine {
  line_id: string;
  quantity: number;
}

export interface AdjustmentSnapshot {
  id: string;
  orderId: string;
  kind: AdjustmentKind;
  /** The store whose part it is; null for the whole order. */
  storeId: string | null;
  status: AdjustmentStatus;
  reason: string;
  /** Who asked for it; its fulfilment and order moves are theirs. */
  requestedBy: { id: string; role: Actor };
  /** What it gives back: the parts' lines plus their share of the fee. */
  refundAmount: string | null;
  /** What the payment service says it refunded, once it has. */
  refundedAmount: string | null;
  refundId: string | null;
  /** Units to give back to stock. */
  lines: AdjustmentLine[];
  restock: boolean;
  /** The command in flight, re-sent until answered. */
  awaiting: SagaCommand[];
  attempts: number;
  nextRetryAt: Date | null;
  stuck: boolean;
  lastError: string | null;
}

/** A new adjustment before its saga starts: nothing refunded, nothing in flight, units restocked unless said otherwise. */
export function newAdjustment(
  a: Pick<AdjustmentSnapshot, 'id' | 'orderId' | 'kind' | 'storeId' | 'status' | 'reason' | 'requestedBy' | 'refundAmount' | 'lines'>,
): AdjustmentSnapshot {
  return { ...a, refundedAmount: null, refundId: null, restock: true, awaiting: [], attempts: 0, nextRetryAt: null, stuck: false, lastError: null };
}

export interface AdjustmentStep {
  name: 'refund' | 'restock';
  status: AdjustmentStatus;
  /** Whether this adjustment has anything for the step to do. */
  needed: (a: AdjustmentSnapshot) => boolean;
  invoke: (a: AdjustmentSnapshot) => SagaCommand;
  success: readonly ReplyType[];
  /** What the step's answer tells the adjustment. */
  record?: (data: unknown) => Partial<AdjustmentSnapshot>;
  /** Every reply to the step's command (its success, a refusal), and where it names the adjustment (the id the command carried). */
  answers: readonly ReplyType[];
  idIn: (data: unknown) => unknown;
}

/** What each kind does to the order once every step is done: a cancellation cancels its parts' fulfilments (the order follows them); a return leaves them as they are. */
export const CANCELS_ITS_PARTS: Readonly<Record<AdjustmentKind, boolean>> = { cancellation: true, return: false };

/** A cancellation of the whole order (no store named) refunds everything left of the payment. */
export const refundsEverythingLeft = (a: AdjustmentSnapshot) => a.kind === 'cancellation' && a.storeId === null;

export const ADJUSTMENT_STEPS: readonly AdjustmentStep[] = [
  {
    name: 'refund',
    status: 'refunding',
    needed: () => true,
    invoke: (a) => ({
      topic: Topics.paymentCommands,
      type: 'payment.refund',
      // A whole-order cancellation asks for everything left of the payment (what earlier partial
      // refunds left), so the buyer gets back exactly what they paid, whatever was refunded before.
      data: {
        order_id: a.orderId,
        reason: a.reason,
        refund_key: a.id,
        ...(refundsEverythingLeft(a) || a.refundAmount === null ? {} : { amount: a.refundAmount }),
      },
      replies: ['payment.refunded'],
      refusals: ['payment.refund_failed'],
    }),
    success: ['payment.refunded'],
    record: (data) => {
      const d = data as { refund_id?: string; amount?: string };
      return { refundedAmount: d.amount ?? null, refundId: d.refund_id || null };
    },
    answers: ['payment.refunded', 'payment.refund_failed'],
    idIn: (data) => (data as { refund_key?: unknown }).refund_key,
  },
  {
    name: 'restock',
    status: 'restocking',
    needed: (a) => a.restock && a.lines.some((l) => l.quantity > 0),
    invoke: (a) => ({
      topic: Topics.inventoryCommands,
      type: 'inventory.restock',
      data: { order_id: a.orderId, restock_id: a.id, reason: a.reason, lines: a.lines.filter((l) => l.quantity > 0) },
      replies: ['stock.restocked'],
    }),
    success: ['stock.restocked'],
    answers: ['stock.restocked'],
    idIn: (data) => (data as { restock_id?: unknown }).restock_id,
  },
];

/** The adjustment a participant's reply answers, by the id its command carried; null when it names none (a checkout saga's reply). */
export function adjustmentIdIn(type: string, data: unknown): string | null {
  const id = ADJUSTMENT_STEPS.find((s) => (s.answers as readonly string[]).includes(type))?.idIn(data);
  return typeof id === 'string' && id ? id : null;
}

export interface AdjustmentDecision {
  adjustment: AdjustmentSnapshot;
  commands: SagaCommand[];
  log: StepLogEntry[];
  /** Every step is done. */
  completed: boolean;
  /** Done, and the caller cancels the adjustment's parts (their fulfilments, then the order's status follows). */
  cancelParts?: boolean;
}

const stepLabel = (a: AdjustmentSnapshot, step: string) => `${a.kind}:${step}`;
const unchanged = (a: AdjustmentSnapshot, log: StepLogEntry[] = []): AdjustmentDecision => ({ adjustment: a, commands: [], log, completed: false });

/** Enters the first step after `from` that the adjustment needs, or completes it. */
function enterNext(a: AdjustmentSnapshot, from: number, t: RetryTimings, log: StepLogEntry[]): AdjustmentDecision {
  const step = ADJUSTMENT_STEPS.slice(from).find((s) => s.needed(a));
  if (!step) {
    const done = { ...transitionAdjustment(a, 'completed'), awaiting: [], attempts: 0, nextRetryAt: null, stuck: false, lastError: null };
    return {
      adjustment: done,
      commands: [],
      log: [...log, { step: stepLabel(a, 'done'), kind: 'reply', type: 'completed', payload: { adjustment_id: a.id } }],
      completed: true,
      cancelParts: CANCELS_ITS_PARTS[a.kind],
    };
  }
  const cmd = step.invoke(a);
  return {
    adjustment: { ...transitionAdjustment(a, step.status), awaiting: [cmd], attempts: 1, nextRetryAt: firstRetryAt(t), stuck: false, lastError: null },
    commands: [cmd],
    log: [...log, commandLog(stepLabel(a, step.name), 'command', cmd)],
    completed: false,
  };
}

/** Starts a cancellation, or a return its store approved. */
export function beginAdjustment(a: AdjustmentSnapshot, t: RetryTimings): AdjustmentDecision {
  return enterNext(a, 0, t, []);
}

/** A participant's answer to the adjustment's command (routed here by its refund_key / restock_id). */
export function onAdjustmentReply(a: AdjustmentSnapshot, type: ReplyType, data: unknown, t: RetryTimings): AdjustmentDecision {
  const index = ADJUSTMENT_STEPS.findIndex((s) => s.status === a.status);
  const step = ADJUSTMENT_STEPS[index];
  const label = stepLabel(a, step?.name ?? a.status);
  const log: StepLogEntry[] = [{ step: label, kind: 'reply', type, payload: data }];
  if (!step) return unchanged(a, log); // a late duplicate
  if (step.success.includes(type)) return enterNext({ ...a, ...step.record?.(data) }, index + 1, t, log);
  const held = holdRefused(a, type, data, label);
  if (held) return unchanged(held.state, [...log, ...held.log]);
  return unchanged(a, log);
}

/**
 * Re-sends the command in flight (participants are idempotent per adjustment id). `operator`:
 * an operator's retry, which also re-sends a refused refund (payment makes a new attempt).
 */
export function onAdjustmentRetry(a: AdjustmentSnapshot, t: RetryTimings, operator = false): AdjustmentDecision {
  const resent = resend(a, t, { step: stepLabel(a, a.status), operator });
  return { adjustment: resent.state, commands: resent.commands, log: resent.log, completed: false };
}

/** What reaches a running adjustment: a participant's answer, its retry timer, an operator's retry (who, for the timeline). */
export type AdjustmentInput = { kind: 'reply'; type: ReplyType; data: unknown } | { kind: 'retry' } | { kind: 'operator_retry'; by: string };

export function decideAdjustment(a: AdjustmentSnapshot, input: AdjustmentInput, t: RetryTimings): AdjustmentDecision {
  switch (input.kind) {
    case 'reply':
      return onAdjustmentReply(a, input.type, input.data, t);
    case 'retry':
      return onAdjustmentRetry(a, t);
    case 'operator_retry': {
      const decision = onAdjustmentRetry(a, t, true);
      const line: StepLogEntry = { step: stepLabel(a, a.status), kind: 'retry', type: 'operator_retry', payload: { by: input.by } };
      return { ...decision, log: [...decision.log, line] };
    }
  }
}
