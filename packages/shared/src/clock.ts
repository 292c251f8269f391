// The one clock: use cases and domain rules take "now" from an injected Clock (tests pass a
// fixed or stepping one), never from Date.now() directly.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
