import { conflict } from '@sudamall/shared';
import type { SagaState } from './saga-types';

/**
 * The checkout saga's own lifecycle: forward through its steps' states to done, or unwound
 * (compensating while compensations are awaited, then compensated). A compensated saga opens
 * again when a participant succeeds after the unwind (a payment after expiry is refunded).
 * Every state the engine writes goes through `transition`; anything not listed is refused.
 */
export const SAGA_TRANSITIONS: Readonly<Record<SagaState, readonly SagaState[]>> = {
  reserving: ['awaiting_payment', 'compensating', 'compensated'],
  awaiting_payment: ['confirming', 'compensating', 'compensated'],
  confirming: ['done', 'compensating', 'compensated'],
  done: [],
  compensating: ['compensated'],
  compensated: ['compensating'],
};

/** Nothing left to retry or unwind. */
export const isFinished = (state: SagaState): boolean => state === 'done' || state === 'compensated';

/** The saga cancelled its order: a participant that succeeds now is undone. */
export const isUnwound = (state: SagaState): boolean => state === 'compensating' || state === 'compensated';

/** `to` when the table allows it (staying put always is); a refused move is a programming error made visible (409). */
export function transition(from: SagaState, to: SagaState): SagaState {
  if (from !== to && !SAGA_TRANSITIONS[from].includes(to)) {
    throw conflict('INVALID_SAGA_TRANSITION', `a checkout saga cannot go from ${from} to ${to}`, { from, to, allowed: SAGA_TRANSITIONS[from] });
  }
  return to;
}
