import { conflict } from '@sudamall/shared';
import { assertTransition, type OrderStatus } from '../domain/order-status';
import { orderBeingConfirmed } from '../domain/errors';
import { paymentDeadline, reservationExpiryOf } from '../domain/payment-deadline';
import { CHECKOUT_SAGA, shortLinesOf, type SagaStep } from './checkout.saga';
import type { CheckoutContext, OrderChange, ReplyType, SagaCommand, SagaDecision, SagaInput, SagaSnapshot, SagaTimings, StepLogEntry } from './saga-types';

// The saga's decisions as pure functions of (saga state, order status, input, clock): no I/O,
// so every path is unit-tested with plain values; the caller persists a decision in one
// transaction (saga row, order row, step log, outbox).

const FORWARD_STATES = new Set(CHECKOUT_SAGA.map((s) => s.state));

function stepIndexOf(state: string): number {
  return CHECKOUT_SAGA.findIndex((s) => s.state === state);
}

function backoffMs(attempts: number, t: SagaTimings): number {
  return Math.min(t.retryMaxMs, t.retryBaseMs * 2 ** Math.max(0, attempts - 1));
}

function commandLog(step: string, kind: 'command' | 'compensation' | 'retry', c: SagaCommand): StepLogEntry {
  return { step, kind, type: c.type, payload: c.data };
}

/** Enters `step`: sends its command (if any) and arms its retry timer or its own deadline. */
function enterStep(base: SagaSnapshot, step: SagaStep, t: SagaTimings, deadlineAt: Date | null): Omit<SagaDecision, 'order'> {
  const cmd = step.invoke?.(base.context);
  return {
    saga: {
      ...base,
      state: step.state,
      currentStep: step.name,
      attempts: cmd ? 1 : 0,
      awaiting: cmd ? [cmd] : [],
      stepStartedAt: t.now,
      deadlineAt,
      nextRetryAt: cmd ? new Date(t.now.getTime() + backoffMs(1, t)) : null,
      stuck: false,
      lastError: null,
    },
    commands: cmd ? [cmd] : [],
    log: cmd ? [commandLog(step.name, 'command', cmd)] : [],
  };
}

/** A new saga for a freshly placed order: reserve the stock. */
export function startCheckout(context: Omit<CheckoutContext, 'completed'>, t: SagaTimings): SagaDecision {
  const first = CHECKOUT_SAGA[0]!;
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
  assertTransition(orderStatus, 'cancelled', 'system', reason);
  const ctx: CheckoutContext = { ...saga.context, cancel_reason: reason };
  const commands: SagaCommand[] = [];
  const log = [...opts.log];
  if (opts.abortStep?.abort) {
    const c = opts.abortStep.abort(ctx, reason);
    commands.push(c);
    log.push(commandLog(opts.abortStep.name, 'compensation', c));
  }
  for (const name of [...ctx.completed].reverse()) {
    const step = CHECKOUT_SAGA.find((s) => s.name === name);
    if (!step?.compensate) continue;
    const c = step.compensate(ctx, reason);
    // A step's abort and the previous step's compensation may be the same command (release).
    if (commands.some((x) => x.type === c.type)) continue;
    commands.push(c);
    log.push(commandLog(step.name, 'compensation', c));
  }
  // A later step that already succeeded ahead of the saga (a payment taken early) is undone too.
  for (const e of ctx.early ?? []) {
    const step = CHECKOUT_SAGA.find((s) => s.success.includes(e.type));
    if (!step?.compensate) continue;
    const c = step.compensate(ctx, reason);
    if (commands.some((x) => x.type === c.type)) continue;
    commands.push(c);
    log.push(commandLog(step.name, 'compensation', c));
  }
  delete ctx.early;
  const awaiting = commands.filter((c) => c.replies.length > 0);
  const compensating = awaiting.length > 0;
  return {
    saga: {
      ...saga,
      context: ctx,
      state: compensating ? 'compensating' : 'compensated',
      currentStep: opts.failedStep?.name ?? opts.abortStep?.name ?? saga.currentStep,
      attempts: compensating ? 1 : 0,
      awaiting,
      stepStartedAt: t.now,
      deadlineAt: null,
      nextRetryAt: compensating ? new Date(t.now.getTime() + backoffMs(1, t)) : null,
      stuck: false,
    },
    order: { ...opts.order, to: 'cancelled', reason },
    commands,
    log,
  };
}

function unchanged(saga: SagaSnapshot, log: StepLogEntry[] = []): SagaDecision {
  return { saga, commands: [], log };
}

function onReply(saga: SagaSnapshot, orderStatus: OrderStatus, type: ReplyType, data: unknown, t: SagaTimings): SagaDecision {
  const replyLog: StepLogEntry = { step: saga.currentStep, kind: 'reply', type, payload: data };
  const index = stepIndexOf(saga.state);
  const step = index >= 0 ? CHECKOUT_SAGA[index] : undefined;

  if (step && step.success.includes(type)) {
    const context: CheckoutContext = { ...saga.context, completed: [...saga.context.completed, step.name] };
    if (type === 'payment.succeeded') context.payment_id = (data as { payment_id?: string }).payment_id;
    const next = CHECKOUT_SAGA[index + 1];
    let order: OrderChange | undefined;
    let deadlineAt: Date | null = null;
    const replyLogs = [replyLog];
    if (step.orderOnSuccess) {
      assertTransition(orderStatus, step.orderOnSuccess, 'system');
      order = { to: step.orderOnSuccess };
      if (step.orderOnSuccess === 'under_paying') {
        // The reservation's own expiry caps the window (a reply processed late must not outlive it).
        const reservationExpiresAt = reservationExpiryOf(data);
        const windowMs = saga.context.payment_window_ms ?? t.paymentWindowMs;
        const deadline = paymentDeadline({ now: t.now, windowMs, reservationExpiresAt, marginMs: t.reservationMarginMs });
        deadlineAt = deadline.deadlineAt;
        order.paymentExpiresAt = deadlineAt;
        if (deadline.shortened) {
          replyLogs.push({
            step: step.name,
            kind: 'error',
            type: 'payment_window_shortened',
            payload: { deadline_at: deadlineAt.toISOString(), reservation_expires_at: reservationExpiresAt!.toISOString(), window_ms: windowMs },
          });
        }
      }
    }
    const base = { ...saga, context };
    if (!next) {
      return {
        saga: { ...base, state: 'done', awaiting: [], attempts: 0, deadlineAt: null, nextRetryAt: null, stuck: false, lastError: null, stepStartedAt: t.now },
        order,
        commands: [],
        log: replyLogs,
      };
    }
    const entered = enterStep(base, next, t, deadlineAt);
    const decision: SagaDecision = { ...entered, order, log: [...replyLogs, ...entered.log] };
    const early = context.early?.find((e) => next.success.includes(e.type) || next.failure.includes(e.type));
    if (!early) return decision;
    // The next step's answer is already here: apply it now, as if it had just arrived.
    const rest = context.early!.filter((e) => e !== early);
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
    const reason = step.failureReason?.(type, data) ?? type;
    const shortLines = shortLinesOf(type, data);
    return compensate({ ...saga, lastError: `${type}: ${reason}` }, orderStatus, reason, t, {
      failedStep: step,
      log: [replyLog],
      order: shortLines ? { shortLines } : undefined,
    });
  }

  // The answer of a later step, ahead of the saga (e.g. payment.succeeded consumed before
  // stock.reserved after a restart): keep it for when the saga gets there.
  if (step && CHECKOUT_SAGA.findIndex((s) => s.success.includes(type)) > index) {
    const early = [...(saga.context.early ?? []), { type, data }];
    return unchanged({ ...saga, context: { ...saga.context, early } }, [replyLog]);
  }

  // A participant refused a command we are waiting for: no timed re-send will change that, so the
  // saga stops re-sending and is flagged stuck with the reason (the dashboard lists it); the
  // command stays awaited, so an operator's retry re-sends it. The order keeps its status.
  const refused = saga.awaiting.find((c) => c.refusals?.includes(type));
  if (refused) {
    const why = (data as { reason?: unknown }).reason;
    const lastError = `${type}: ${refused.type} refused${typeof why === 'string' && why ? ` (${why})` : ''}; waiting for an operator's retry`;
    return unchanged({ ...saga, stuck: true, nextRetryAt: null, lastError }, [
      replyLog,
      { step: saga.currentStep, kind: 'error', type: 'stuck', payload: { refused: refused.type, reply: type, reason: why ?? null } },
    ]);
  }

  // A reply to a compensation (release, void, refund) we are waiting for.
  const answered = saga.awaiting.findIndex((c) => c.replies.includes(type));
  if (!step && answered >= 0) {
    const awaiting = saga.awaiting.filter((_, i) => i !== answered);
    const finished = saga.state === 'compensating' && awaiting.length === 0;
    return unchanged(
      {
        ...saga,
        awaiting,
        state: finished ? 'compensated' : saga.state,
        attempts: awaiting.length === 0 ? 0 : saga.attempts,
        nextRetryAt: awaiting.length === 0 ? null : saga.nextRetryAt,
        stuck: awaiting.length === 0 ? false : saga.stuck,
      },
      [replyLog],
    );
  }

  // A participant succeeded after the saga was unwound (payment after expiry, a reserve that
  // landed after a cancel): undo what it did.
  if (saga.state === 'compensating' || saga.state === 'compensated') {
    const late = CHECKOUT_SAGA.find((s) => s.success.includes(type));
    if (late?.compensate) {
      const reason = saga.context.cancel_reason ?? 'cancelled';
      const c = late.compensate(saga.context, reason);
      if (!saga.awaiting.some((x) => x.type === c.type) && c.replies.length > 0) {
        return {
          saga: {
            ...saga,
            state: 'compensating',
            awaiting: [...saga.awaiting, c],
            attempts: 1,
            nextRetryAt: new Date(t.now.getTime() + backoffMs(1, t)),
            stepStartedAt: t.now,
            stuck: false,
          },
          commands: [c],
          log: [replyLog, commandLog(late.name, 'compensation', c)],
        };
      }
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
  const step = CHECKOUT_SAGA[stepIndexOf(saga.state)];
  if (step && !step.cancellable && !force) throw orderBeingConfirmed(saga.context.order_id);
  // Done, compensating or compensated: the order's status decides (INVALID_STATUS_TRANSITION).
  if (!step) assertTransition(orderStatus, 'cancelled', 'system', reason);
  return compensate(saga, orderStatus, reason, t, { abortStep: step, log: [] });
}

function onPaymentDeadline(saga: SagaSnapshot, orderStatus: OrderStatus, t: SagaTimings): SagaDecision {
  const step = CHECKOUT_SAGA[stepIndexOf(saga.state)];
  if (!step?.deadlineReason) return unchanged(saga);
  return compensate({ ...saga, lastError: step.deadlineReason }, orderStatus, step.deadlineReason, t, {
    abortStep: step,
    log: [{ step: step.name, kind: 'error', type: 'deadline_passed', payload: { deadline_at: saga.deadlineAt?.toISOString() ?? null } }],
  });
}

/** Re-sends every unanswered command (participants are idempotent) and flags a saga that makes no progress. */
function onRetry(saga: SagaSnapshot, t: SagaTimings): SagaDecision {
  if (saga.awaiting.length === 0) return unchanged({ ...saga, nextRetryAt: null });
  const attempts = saga.attempts + 1;
  const stuck = attempts > t.maxAttempts || t.now.getTime() - saga.stepStartedAt.getTime() > t.stepTimeoutMs;
  const log: StepLogEntry[] = saga.awaiting.map((c) => commandLog(saga.currentStep, 'retry', c));
  if (stuck && !saga.stuck) {
    log.push({ step: saga.currentStep, kind: 'error', type: 'stuck', payload: { attempts, since: saga.stepStartedAt.toISOString() } });
  }
  return {
    saga: {
      ...saga,
      attempts,
      stuck,
      lastError: stuck ? `no reply to ${saga.awaiting.map((c) => c.type).join(', ')} after ${attempts - 1} re-sends` : saga.lastError,
      nextRetryAt: new Date(t.now.getTime() + backoffMs(attempts, t)),
    },
    commands: saga.awaiting,
    log,
  };
}

export function decide(saga: SagaSnapshot, orderStatus: OrderStatus, input: SagaInput, t: SagaTimings): SagaDecision {
  switch (input.kind) {
    case 'reply':
      return onReply(saga, orderStatus, input.type, input.data, t);
    case 'cancel':
      return onCancel(saga, orderStatus, input.reason, input.force === true, t);
    case 'payment_deadline':
      return onPaymentDeadline(saga, orderStatus, t);
    case 'retry':
      return onRetry(saga, t);
  }
}

export function isForwardState(state: string): boolean {
  return FORWARD_STATES.has(state as never);
}
