import type { ReplyType, SagaCommand, SagaTimings, StepLogEntry } from './saga-types';

// Commands in flight, the same for the checkout saga and an adjustment's: sent, re-sent with
// backoff until a reply comes (participants are idempotent), flagged stuck when none comes, and
// held for an operator when a participant definitely refused.

/** What a saga (or an adjustment) keeps about the commands it waits a reply for. */
export interface InFlight {
  awaiting: SagaCommand[];
  attempts: number;
  nextRetryAt: Date | null;
  stuck: boolean;
  lastError: string | null;
}

export type RetryTimings = Pick<SagaTimings, 'now' | 'retryBaseMs' | 'retryMaxMs' | 'maxAttempts'>;

/** The wait before re-send number `attempts`: doubles per attempt up to retryMaxMs. */
export function backoffMs(attempts: number, t: Pick<SagaTimings, 'retryBaseMs' | 'retryMaxMs'>): number {
  return Math.min(t.retryMaxMs, t.retryBaseMs * 2 ** Math.max(0, attempts - 1));
}

/** When a command sent now (a first attempt) is re-sent if no reply has come. */
export function firstRetryAt(t: Pick<SagaTimings, 'now' | 'retryBaseMs' | 'retryMaxMs'>): Date {
  return new Date(t.now.getTime() + backoffMs(1, t));
}

export function commandLog(step: string, kind: 'command' | 'compensation' | 'retry', c: SagaCommand): StepLogEntry {
  return { step, kind, type: c.type, payload: c.data };
}

/**
 * Re-sends every unanswered command. A timer's re-send counts an attempt and flags the saga stuck
 * past maxAttempts (or when `overdue`, the step making no progress); an operator's starts afresh
 * (attempts back to 1, stuck and the last error cleared).
 */
export function resend<T extends InFlight>(
  w: T,
  t: RetryTimings,
  opts: { step: string; operator?: boolean; overdue?: boolean; stuckDetail?: Record<string, unknown> },
): { state: T; commands: SagaCommand[]; log: StepLogEntry[] } {
  if (w.awaiting.length === 0) return { state: { ...w, nextRetryAt: null }, commands: [], log: [] };
  const attempts = opts.operator ? 1 : w.attempts + 1;
  const stuck = !opts.operator && (attempts > t.maxAttempts || opts.overdue === true);
  const log = w.awaiting.map((c) => commandLog(opts.step, 'retry', c));
  if (stuck && !w.stuck) log.push({ step: opts.step, kind: 'error', type: 'stuck', payload: { attempts, ...opts.stuckDetail } });
  const lastError = stuck ? `no reply to ${w.awaiting.map((c) => c.type).join(', ')} after ${attempts - 1} re-sends` : opts.operator ? null : w.lastError;
  return {
    state: { ...w, attempts, stuck, lastError, nextRetryAt: new Date(t.now.getTime() + backoffMs(attempts, t)) },
    commands: w.awaiting,
    log,
  };
}

/**
 * A participant refused a command we are waiting for (a refund the gateway turned down): no timed
 * re-send will change that, so re-sending stops and the saga is flagged stuck with the reason (the
 * dashboard lists it); the command stays awaited, so an operator's retry re-sends it. Undefined
 * when `type` refuses nothing awaited.
 */
export function holdRefused<T extends InFlight>(
  w: T,
  type: ReplyType,
  data: unknown,
  step: string,
): { state: T; log: StepLogEntry[]; refused: SagaCommand } | undefined {
  const refused = w.awaiting.find((c) => c.refusals?.includes(type));
  if (!refused) return undefined;
  const why = (data as { reason?: unknown }).reason;
  const lastError = `${type}: ${refused.type} refused${typeof why === 'string' && why ? ` (${why})` : ''}; waiting for an operator's retry`;
  return {
    state: { ...w, stuck: true, nextRetryAt: null, lastError },
    log: [{ step, kind: 'error', type: 'stuck', payload: { refused: refused.type, reply: type, reason: why ?? null } }],
    refused,
  };
}
