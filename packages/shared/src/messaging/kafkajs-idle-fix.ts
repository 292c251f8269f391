// kafkajs 2.2.4 (its last release) wakes the process ~1,000 times a second per broker connection,
// idle or busy: after every response its request queue re-arms a setTimeout whose delay is
// `throttledUntil - now`, negative when nothing is throttled, which Node runs after 1 ms, and
// whose callback re-arms it again (tulios/kafkajs#1556, #1704; the fix, #1667, was never
// released). A service holds a producer, an admin and a connection or two per consumer: measured
// (bench/kafka-clients) 44 ms of CPU per second per idle service, 15 ms/s with this fix, and a
// third of the client's CPU per message at 150 messages/s.
//
// The fix is #1667's: arm the timer only when something waits for it — requests queued behind the
// in-flight limit (checked again in 10 ms, as before, and whenever a response frees a slot) or a
// broker-requested throttle (checked when it ends). With nothing queued and nothing throttled, the
// next push sends at once, as it always did.
import { createRequire } from 'node:module';

interface RequestQueueInternals {
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  throttledUntil: number;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** The kafkajs version whose request queue this replaces a method of (its last release). */
export const KAFKAJS_PATCHED_VERSION = '2.2.4';
/** kafkajs's own interval for re-checking requests queued behind the in-flight limit. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

let applied: boolean | undefined;

/**
 * Applies the fix once per process; true when it is in place. Another kafkajs version is left
 * alone (false): its request queue must be read again before patching it (a test fails then).
 */
export function applyKafkajsIdleFix(): boolean {
  if (applied !== undefined) return applied;
  const requireHere = createRequire(__filename);
  const { version } = requireHere('kafkajs/package.json') as { version: string };
  if (version !== KAFKAJS_PATCHED_VERSION) return (applied = false);
  const RequestQueue = requireHere('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueInternals) {
    if (this.throttleCheckTimeoutId) return;
    const throttledFor = this.throttledUntil - Date.now();
    let delay: number;
    if (this.pending.length > 0) delay = throttledFor > 0 ? throttledFor : CHECK_PENDING_REQUESTS_INTERVAL_MS;
    else if (throttledFor > 0) delay = throttledFor;
    else return;
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, delay);
  };
  return (applied = true);
}
