// A status machine as data. Every status a store writes goes through its table's `transition()`,
// which refuses a move the table does not list; a conditional UPDATE (`... WHERE status IN (...)`)
// takes its allowed from-states from `sourcesOf`, so the SQL and the table cannot drift apart.
// Used by payment (payments, attempts, refunds, duplicate captures) and cart (checkouts).
import { conflict } from './errors';

export interface TransitionTable<S extends string> {
  /** Whether the table lists from → to. */
  can(from: S, to: S): boolean;
  /** `to`, when from → to is in the table; otherwise 409 INVALID_STATUS_TRANSITION (a bug or a race the caller did not guard). */
  transition(from: S, to: S): S;
  /**
   * The states that may move to `to` (a conditional update's WHERE), in the table's order;
   * `among` narrows them to the ones a particular write accepts (each must be a legal source).
   */
  sourcesOf(to: S, among?: readonly S[]): S[];
}

export function transitionTable<S extends string>(subject: string, moves: Readonly<Record<S, readonly S[]>>): TransitionTable<S> {
  const can = (from: S, to: S) => moves[from].includes(to);
  const states = Object.keys(moves) as S[];
  return {
    can,
    transition(from, to) {
      if (!can(from, to)) {
        throw conflict('INVALID_STATUS_TRANSITION', `a ${subject} cannot go from ${from} to ${to}`, { from, to, allowed: [...moves[from]] });
      }
      return to;
    },
    sourcesOf(to, among) {
      const sources = states.filter((from) => can(from, to));
      if (!among) return sources;
      for (const s of among) if (!sources.includes(s)) throw new Error(`${subject}: ${s} → ${to} is not in the transition table`);
      return sources.filter((s) => among.includes(s));
    },
  };
}
