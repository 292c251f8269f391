import { transitionTable } from '@sudamall/shared';

// A checkout attempt, keyed by (buyer, Idempotency-Key), is recorded `pending` before order is
// called and settled once: `completed` when order accepted it (the ordered lines leave the cart),
// `rejected` when order refused it. A settled attempt never moves again: a retry of its key
// answers what it recorded. The store's statements take their statuses from this table.

export const CHECKOUT_STATUSES = ['pending', 'completed', 'rejected'] as const;
export type CheckoutStatus = (typeof CHECKOUT_STATUSES)[number];

/** What a new attempt is recorded as. */
export const NEW_CHECKOUT_STATUS: CheckoutStatus = 'pending';

export const checkoutTransitions = transitionTable<CheckoutStatus>('checkout', {
  pending: ['completed', 'rejected'],
  completed: [],
  rejected: [],
});
