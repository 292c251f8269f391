import { conflict } from '@sudamall/shared';
import { transition as orderTransition, type OrderStatus } from '../domain/order-status';
import { orderBeingConfirmed } from '../domain/errors';
import { CHECKOUT_SAGA, type SagaStep } from './checkout.saga';
import { commandLog, firstRetryAt, holdRefused, resend } from './in-flight';
import { isUnwound, transition } from './saga-state';
import type {
  CheckoutContext,
  OrderChange,
  ReplyType,
  SagaCommand,
  SagaDecision,
  SagaInput,
  SagaSnapshot,
  SagaState,
  SagaTimings,
  StepLogEntry,
} from './saga-types';

// The saga's decisions as pure functions of (saga state, order status, input, clock): no I/O,
// so every path is unit-tested with plain values; the caller persists a decision in one
// transaction (saga row, order row, step log, outbox). Nothing here knows a step by name: what
// differs per step is data in CHECKOUT_SAGA, which this file only interprets.

/** The step in flight in `state`; none once the saga is done or unwound. */
export const stepIn = (state: SagaState) => CHECKOUT_SAGA.find((s) => s.state === state);
const stepNamed = (name: string) => CHECKOUT_SAGA.find((s) => s.name === name);
/** The step a success reply ends. */
const stepAnswered = (type: ReplyType) => CHECKOUT_SAGA.find((s) => s.success.includes(type));

/** Enters `step`: sends its command (if any) and arms its retry timer or its own deadline. */
function enterStep(base: SagaSnapshot, step: SagaStep, t: SagaTimings, deadlineAt: Date | null): Omit<SagaDecision, 'order'> {
  const cmd = step.invoke?.(base.context);
  return {
    saga: {
      ...base,
      state: transition(base.state, step.state),
      currentStep: step.name,
      attempts: cmd ? 1 : 0,
      awaiting: cmd ? [cmd] : [],
      stepStartedAt: t.now,
      deadlineAt,
      nextRetryAt: cmd ? firstRetryAt(t) : null,
      stuck: false,
      lastError: null,
    },
    commands: cmd ? [cmd] : [],
    log: cmd ? [commandLog(step.name, 'command', cmd)] : [],
  };
}

/** A new saga for a freshly placed order: reserve the stock. */
export function startCheckout(context: Omit<CheckoutContext, 'completed'>, t: SagaTimings): SagaDecision {
  const first = CHECKOUT_SAGA[0];
  const base: SagaSnapshot = {
    state: first.state,
    currentStep: first.name,
    attempts: 0,
    awaiting: [],
    context: { ...context, completed: [] },
    stepStartedAt: t.now,
    deadlineAt: null,
    nextRetryAt: null,
    stuck: false,
    lastError: null,
  };
  return enterStep(base, first, t, null);
}

/** One undo: the abort of a step cut short, or the compensation of one that succeeded. */
interface Undo {
  step: SagaStep;
  how: 'abort' | 'compensate';
}

/**
 * The one compensation loop: the commands that undo `undo`, in the order given, each command once
 * (a step's abort and an earlier step's compensation may be the same command, release) and none
 * already `awaited`.
 */
function undoCommands(ctx: CheckoutContext, reason: string, undo: readonly Undo[], awaited: readonly SagaCommand[]): Pick<SagaDecision, 'commands' | 'log'> {
  const commands: SagaCommand[] = [];
  const log: StepLogEntry[] = [];
  for (const { step, how } of undo) {
    const c = step[how]?.(ctx, reason);
    if (!c || [...awaited, ...commands].some((x) => x.type === c.type)) continue;
    commands.push(c);
    log.push(commandLog(step.name, 'compensation', c));
  }
  return { commands, log };
}

const compensations = (steps: ReadonlyArray<SagaStep | undefined>): Undo[] =>
  steps.filter((s): s is SagaStep => s !== undefined).map((step) => ({ step, how: 'compensate' }));

/**
 * Unwinds the saga: the step in flight is aborted (unless it failed outright, so nothing of it
 * stands), completed steps are compensated in reverse order, and the order is cancelled.
 */
function compensate(
  saga: SagaSnapshot,
  orderStatus: OrderStatus,
  reason: string,
  t: SagaTimings,
  opts: { failedStep?: SagaStep; abortStep?: SagaStep; log: StepLogEntry[]; order?: Partial<OrderChange> },
): SagaDecision {
  const cancelled = orderTransition(orderStatus, 'cancelled', 'system', reason);
  const ctx: CheckoutContext = { ...saga.context, cancel_reason: reason };
  const undone = undoCommands(
    ctx,
    reason,
    [
      ...(opts.abortStep ? [{ step: opts.abortStep, how: 'abort' as const }] : []),
      ...compensations([...ctx.completed].reverse().map(stepNamed)),
      // A later step that already succeeded ahead of the saga (a payment taken early) is undone too.
      ...compensations((ctx.early ?? []).map((e) => stepAnswered(e.type))),
    ],
    [],
  );
  delete ctx.early;
  const awaiting = undone.commands.filter((c) => c.replies.length > 0);
  const compensating = awaiting.length > 0;
  return {
    saga: {
      ...saga,
      context: ctx,
      state: transition(saga.state, compensating ? 'compensating' : 'compensated'),
      currentStep: opts.failedStep?.name ?? opts.abortStep?.name ?? saga.currentStep,
      attempts: compensating ? 1 : 0,
      awaiting,
      stepStartedAt: t.now,
      deadlineAt: null,
      nextRetryAt: compensating ? firstRetryAt(t) : null,
      stuck: false,
    },
    order: { ...opts.order, to: cancelled, reason },
    commands: undone.commands,
    log: [...opts.log, ...undone.log],
  };
}

function unchanged(saga: SagaSnapshot, log: StepLogEntry[] = []): SagaDecision {
  return { saga, commands: [], log };
}

function onReply(saga: SagaSnapshot, orderStatus: OrderStatus, type: ReplyType, data: unknown, t: SagaTimings): SagaDecision {
  const replyLog: StepLogEntry = { step: saga.currentStep, kind: 'reply', type, payload: data };
  const index = CHECKOUT_SAGA.findIndex((s) => s.state === saga.state);
  const step = CHECKOUT_SAGA[index];

  if (step && step.success.includes(type)) {
    const context: CheckoutContext = { ...saga.context, ...step.record?.(data), completed: [...saga.context.completed, step.name] };
    const next = CHECKOUT_SAGA[index + 1];
    const deadline = next?.deadline?.at({ ctx: context, reply: data, t });
    // The order shows the deadline of the step it now waits in (the buyer's payment window).
    const order: OrderChange | undefined = step.orderOnSuccess && {
      to: orderTransition(orderStatus, step.orderOnSuccess, 'system'),
      ...(deadline && { paymentExpiresAt: deadline.at }),
    };
    const replyLogs: StepLogEntry[] = [replyLog, ...(deadline?.note ? [{ step: step.name, kind: 'error' as const, ...deadline.note }] : [])];
    const base = { ...saga, context };
    if (!next) {
      return {
        saga: {
          ...base,
          state: transition(saga.state, 'done'),
          awaiting: [],
          attempts: 0,
          deadlineAt: null,
          nextRetryAt: null,
          stuck: false,
          lastError: null,
          stepStartedAt: t.now,
        },
        order,
        commands: [],
        log: replyLogs,
      };
    }
    const entered = enterStep(base, next, t, deadline?.at ?? null);
    const decision: SagaDecision = { ...entered, order, log: [...replyLogs, ...entered.log] };
    const early = context.early?.find((e) => next.success.includes(e.type) || next.failure.includes(e.type));
    if (!early) return decision;
    // The next step's answer is already here: apply it now, as if it had just arrived.
    const rest = (context.early ?? []).filter((e) => e !== early);
    const followUp = onReply(
      { ...decision.saga, context: { ...decision.saga.context, early: rest.length > 0 ? rest : undefined } },
      order?.to ?? orderStatus,
      early.type,
      early.data,
      t,
    );
    return {
      saga: followUp.saga,
      // At most one of the two moves the order (a step that waits for a reply never changes it on entry).
      order: followUp.order ?? order,
      commands: [...decision.commands, ...followUp.commands],
      log: [...decision.log, ...followUp.log],
    };
  }

  if (step && step.failure.includes(type)) {
    return compensate({ ...saga, lastError: `${type}: ${step.failureReason}` }, orderStatus, step.failureReason, t, {
      failedStep: step,
      log: [replyLog],
      order: step.failureDetails?.(type, data),
    });
  }

  // The answer of a later step, ahead of the saga (e.g. payment.succeeded consumed before
  // stock.reserved after a restart): keep it for when the saga gets there.
  if (step && CHECKOUT_SAGA.findIndex((s) => s.success.includes(type)) > index) {
    const early = [...(saga.context.early ?? []), { type, data }];
    return unchanged({ ...saga, context: { ...saga.context, early } }, [replyLog]);
  }

  // A refusal of a command we are waiting for: held for an operator's retry, the order keeps its status.
  const held = holdRefused(saga, type, data, saga.currentStep);
  if (held) return unchanged(held.state, [replyLog, ...held.log]);

  // A reply to a compensation (release, void, refund) we are waiting for.
  const answered = saga.awaiting.findIndex((c) => c.replies.includes(type));
  if (!step && answered >= 0) {
    const awaiting = saga.awaiting.filter((_, i) => i !== answered);
    const finished = isUnwound(saga.state) && awaiting.length === 0;
    return unchanged(
      {
        ...saga,
        awaiting,
        state: transition(saga.state, finished ? 'compensated' : saga.state),
        attempts: awaiting.length === 0 ? 0 : saga.attempts,
        nextRetryAt: awaiting.length === 0 ? null : saga.nextRetryAt,
        stuck: awaiting.length === 0 ? false : saga.stuck,
      },
      [replyLog],
    );
  }

  // A participant succeeded after the saga was unwound (payment after expiry, a reserve that
  // landed after a cancel): undo what it did.
  const late = isUnwound(saga.state) ? stepAnswered(type) : undefined;
  if (late) {
    const undone = undoCommands(saga.context, saga.context.cancel_reason ?? 'cancelled', compensations([late]), saga.awaiting);
    const awaited = undone.commands.filter((c) => c.replies.length > 0);
    if (awaited.length > 0) {
      return {
        saga: {
          ...saga,
          state: transition(saga.state, 'compensating'),
          awaiting: [...saga.awaiting, ...awaited],
          attempts: 1,
          nextRetryAt: firstRetryAt(t),
          stepStartedAt: t.now,
          stuck: false,
        },
        commands: awaited,
        log: [replyLog, ...undone.log],
      };
    }
  }

  // Anything else (payment.failed while the window is open, a duplicate under a new id, a
  // reply that crossed a retry) changes nothing; it is logged for the dashboard.
  return unchanged(saga, [replyLog]);
}

function onCancel(saga: SagaSnapshot, orderStatus: OrderStatus, reason: string, force: boolean, t: SagaTimings): SagaDecision {
  // A paid order's checkout is over: it is cancelled by a cancellation saga of its own (refund,
  // restock, fulfilments: app/order-adjustments.ts), never by unwinding the checkout.
  if (saga.state === 'done') {
    throw conflict('INVALID_STATUS_TRANSITION', `a paid order (${orderStatus}) is cancelled through POST /orders/{id}/cancel/, not by unwinding its checkout`, {
      from: orderStatus,
      to: 'cancelled',
    });
  }
  const step = stepIn(saga.state);
  if (step && !step.cancellable && !force) throw orderBeingConfirmed(saga.context.order_id);
  // Compensating or compensated: the order's status decides (INVALID_STATUS_TRANSITION).
  if (!step) orderTransition(orderStatus, 'cancelled', 'system', reason);
  return compensate(saga, orderStatus, reason, t, { abortStep: step, log: [] });
}

/** The step in flight has a deadline of its own (the payment window) and it passed: the step fails with its reason. */
function onDeadline(saga: SagaSnapshot, orderStatus: OrderStatus, t: SagaTimings): SagaDecision {
  const step = stepIn(saga.state);
  if (!step?.deadline) return unchanged(saga);
  const reason = step.deadline.reason;
  return compensate({ ...saga, lastError: reason }, orderStatus, reason, t, {
    abortStep: step,
    log: [{ step: step.name, kind: 'error', type: 'deadline_passed', payload: { deadline_at: saga.deadlineAt?.toISOString() ?? null } }],
  });
}

/** Re-sends every unanswered command (participants are idempotent) and flags a saga that makes no progress. */
function onRetry(saga: SagaSnapshot, t: SagaTimings): SagaDecision {
  const overdue = t.now.getTime() - saga.stepStartedAt.getTime() > t.stepTimeoutMs;
  const resent = resend(saga, t, { step: saga.currentStep, overdue, stuckDetail: { since: saga.stepStartedAt.toISOString() } });
  return { saga: resent.state, commands: resent.commands, log: resent.log };
}

export function decide(saga: SagaSnapshot, orderStatus: OrderStatus, input: SagaInput, t: SagaTimings): SagaDecision {
  switch (input.kind) {
    case 'reply':
      return onReply(saga, orderStatus, input.type, input.data, t);
    case 'cancel':
      return onCancel(saga, orderStatus, input.reason, input.force === true, t);
    case 'payment_deadline':
      return onDeadline(saga, orderStatus, t);
    case 'retry':
      return onRetry(saga, t);
  }
}
