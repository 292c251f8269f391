import { errorOf } from '../fixtures/domain-error';
import { transition, ORDER_STATUSES, TRANSITIONS, type Actor, type OrderStatus } from '../../src/domain/order-status';

describe('order status transitions', () => {
  const allowed: Array<[OrderStatus, OrderStatus, Actor]> = [
    ['pending', 'under_paying', 'system'],
    ['pending', 'cancelled', 'system'],
    ['pending', 'cancelled', 'buyer'],
    ['pending', 'cancelled', 'seller'],
    ['pending', 'cancelled', 'admin'],
    ['under_paying', 'processing', 'system'],
    ['under_paying', 'cancelled', 'system'],
    ['under_paying', 'cancelled', 'buyer'],
    ['under_paying', 'cancelled', 'seller'],
    ['under_paying', 'cancelled', 'admin'],
    ['processing', 'shipped', 'seller'],
    ['processing', 'shipped', 'admin'],
    ['shipped', 'delivered', 'seller'],
    ['shipped', 'delivered', 'admin'],
  ];

  it.each(allowed)('allows %s → %s by %s', (from, to, actor) => {
    expect(() => transition(from, to, actor, 'because')).not.toThrow();
  });

  const listed = new Set(TRANSITIONS.map((t) => `${t.from}>${t.to}`));
  const refused = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as [OrderStatus, OrderStatus])).filter(
    ([from, to]) => !listed.has(`${from}>${to}`),
  );

  it.each(refused)('refuses %s → %s with 409 INVALID_STATUS_TRANSITION', (from, to) => {
    const err = errorOf(() => transition(from, to, 'admin', 'because'));
    expect(err.code).toBe('INVALID_STATUS_TRANSITION');
    expect(err.kind).toBe('conflict');
  });

  it.each<[OrderStatus, OrderStatus, Actor]>([
    ['under_paying', 'processing', 'seller'],
    ['under_paying', 'processing', 'admin'],
    ['pending', 'under_paying', 'buyer'],
    ['processing', 'shipped', 'buyer'],
    ['shipped', 'delivered', 'buyer'],
    ['processing', 'shipped', 'system'],
  ])('refuses %s → %s by a %s with 403 STATUS_CHANGE_FORBIDDEN', (from, to, actor) => {
    const err = errorOf(() => transition(from, to, actor));
    expect(err.code).toBe('STATUS_CHANGE_FORBIDDEN');
    expect(err.kind).toBe('forbidden');
  });

  it('requires a reason to cancel', () => {
    expect(errorOf(() => transition('pending', 'cancelled', 'buyer')).code).toBe('REASON_REQUIRED');
  });
});
