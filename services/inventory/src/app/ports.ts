// What the use cases need from outside that is not a store.

/** The one clock: use cases and the engine ask it for "now", so tests can move time. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
