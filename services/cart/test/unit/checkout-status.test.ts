// The checkout status table: an attempt settles once, and a settled one never moves again.
import { checkoutTransitions, CHECKOUT_STATUSES, NEW_CHECKOUT_STATUS } from '../../src/domain/checkout-status';

test('a pending attempt settles as completed or rejected', () => {
  expect(NEW_CHECKOUT_STATUS).toBe('pending');
  expect(checkoutTransitions.transition('pending', 'completed')).toBe('completed');
  expect(checkoutTransitions.transition('pending', 'rejected')).toBe('rejected');
  expect(checkoutTransitions.sourcesOf('completed')).toEqual(['pending']);
  expect(checkoutTransitions.sourcesOf('rejected')).toEqual(['pending']);
});

test('a settled attempt never moves again (409 INVALID_STATUS_TRANSITION)', () => {
  for (const from of ['completed', 'rejected'] as const) {
    for (const to of CHECKOUT_STATUSES) {
      expect(checkoutTransitions.can(from, to)).toBe(false);
      expect(() => checkoutTransitions.transition(from, to)).toThrow(expect.objectContaining({ code: 'INVALID_STATUS_TRANSITION' }));
    }
  }
});
