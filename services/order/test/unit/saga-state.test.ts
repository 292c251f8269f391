// The saga's and the adjustment's own state tables: every move the engines make is listed, the rest is refused.
import { DomainError } from '@sudamall/shared';
import { transitionAdjustment } from '../../src/saga/adjustment.saga';
import { CHECKOUT_SAGA } from '../../src/saga/checkout.saga';
import { SAGA_TRANSITIONS, transition } from '../../src/saga/saga-state';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof DomainError ? err.code : String(err);
  }
  return 'no error';
};

describe('saga state table', () => {
  test('each step leads to the next one, the last to done, and any step may be unwound', () => {
    CHECKOUT_SAGA.forEach((step, i) => {
      expect(SAGA_TRANSITIONS[step.state]).toContain(CHECKOUT_SAGA[i + 1]?.state ?? 'done');
      expect(SAGA_TRANSITIONS[step.state]).toEqual(expect.arrayContaining(['compensating', 'compensated']));
    });
  });

  test('staying put is allowed; a move not listed is refused (done is final)', () => {
    expect(transition('compensating', 'compensating')).toBe('compensating');
    expect(transition('compensated', 'compensating')).toBe('compensating');
    expect(codeOf(() => transition('done', 'compensating'))).toBe('INVALID_SAGA_TRANSITION');
    expect(codeOf(() => transition('reserving', 'confirming'))).toBe('INVALID_SAGA_TRANSITION');
  });
});

describe('adjustment state table', () => {
  test('a return is answered once; a running adjustment only goes forward', () => {
    expect(transitionAdjustment({ id: 'a-1', status: 'requested' }, 'rejected')).toEqual({ id: 'a-1', status: 'rejected' });
    expect(transitionAdjustment({ id: 'a-1', status: 'refunding' }, 'restocking').status).toBe('restocking');
    expect(codeOf(() => transitionAdjustment({ id: 'a-1', status: 'completed' }, 'refunding'))).toBe('INVALID_ADJUSTMENT_TRANSITION');
    expect(codeOf(() => transitionAdjustment({ id: 'a-1', status: 'restocking' }, 'refunding'))).toBe('INVALID_ADJUSTMENT_TRANSITION');
  });
});
