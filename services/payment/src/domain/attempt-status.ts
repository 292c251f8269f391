import { transitionTable } from '@sudamall/shared';

// A charge attempt's status: what the gateway last said about it. An attempt not captured takes
// whatever answer comes for it (a late answer for an attempt the payment has moved past, a lookup,
// a webhook, a replayed answer); a capture is never undone, and cash awaiting collection only
// completes when it is collected.

export const ATTEMPT_STATUSES = ['processing', 'succeeded', 'failed', 'requires_action', 'awaiting_collection', 'error'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/** Where an attempt that has not captured can go: any answer, or the error of a call that failed for good. */
const ANSWERED: readonly AttemptStatus[] = ['succeeded', 'failed', 'requires_action', 'awaiting_collection', 'error'];

export const attemptTransitions = transitionTable<AttemptStatus>('payment attempt', {
  // processing → processing: a stale attempt taken over again, with its own idempotency key.
  processing: ['processing', ...ANSWERED],
  requires_action: ANSWERED,
  failed: ANSWERED,
  error: ANSWERED,
  // Collected (by a seller, an admin or the order's payment.collect), or the same answer again.
  awaiting_collection: ['succeeded', 'awaiting_collection'],
  // A replayed capture answer records the capture again; nothing moves a capture back.
  succeeded: ['succeeded'],
});

/**
 * The attempts a capture reported by webhook completes: every one that may still move to
 * `succeeded` except one that already did (its own completion time stands) and cash awaiting
 * collection (only a collection completes it).
 */
export const WEBHOOK_CAPTURABLE_ATTEMPTS = attemptTransitions.sourcesOf('succeeded', ['processing', 'failed', 'requires_action', 'error']);
