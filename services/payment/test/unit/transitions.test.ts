// One transition() per table, throwing on a move the table does not list; conditional updates take
// their from-states from the same table.
import { attemptTransitions, WEBHOOK_CAPTURABLE_ATTEMPTS } from '../../src/domain/attempt-status';
import { isStaleAttempt, paymentTransitions } from '../../src/domain/payment-status';
import { refundTransitions } from '../../src/domain/refunds';
import { transitionTable } from '@sudamall/shared';

describe('transitionTable', () => {
  const light = transitionTable<'red' | 'green' | 'amber'>('light', { red: ['green'], green: ['amber'], amber: ['red'] });

  it('transition() returns the target of a listed move and refuses any other with 409 INVALID_STATUS_TRANSITION', () => {
    expect(light.transition('red', 'green')).toBe('green');
    expect(() => light.transition('red', 'amber')).toThrow(
      expect.objectContaining({ kind: 'conflict', code: 'INVALID_STATUS_TRANSITION', details: { from: 'red', to: 'amber', allowed: ['green'] } }),
    );
  });

  it('sourcesOf() lists the states that may move to a target, narrowed only to legal ones', () => {
    expect(light.sourcesOf('red')).toEqual(['amber']);
    expect(() => light.sourcesOf('red', ['green'])).toThrow('green → red is not in the transition table');
  });
});

describe('the payment service tables', () => {
  it('payments: a capture is never undone, a cancelled payment only completes (a capture confirmed late)', () => {
    expect(() => paymentTransitions.transition('completed', 'failed')).toThrow(expect.objectContaining({ code: 'INVALID_STATUS_TRANSITION' }));
    expect(paymentTransitions.sourcesOf('processing')).toEqual(['pending', 'failed']);
    expect(paymentTransitions.transition('cancelled', 'completed')).toBe('completed');
  });

  it('attempts: a capture stays a capture, cash awaiting collection only completes, the rest takes any answer', () => {
    expect(attemptTransitions.transition('succeeded', 'succeeded')).toBe('succeeded');
    expect(() => attemptTransitions.transition('succeeded', 'failed')).toThrow(expect.objectContaining({ code: 'INVALID_STATUS_TRANSITION' }));
    expect(() => attemptTransitions.transition('awaiting_collection', 'failed')).toThrow(expect.objectContaining({ code: 'INVALID_STATUS_TRANSITION' }));
    expect(attemptTransitions.transition('error', 'succeeded')).toBe('succeeded');
    expect(attemptTransitions.sourcesOf('processing')).toEqual(['processing']);
    expect(WEBHOOK_CAPTURABLE_ATTEMPTS).toEqual(['processing', 'requires_action', 'failed', 'error']);
  });

  it('refunds settle once', () => {
    expect(refundTransitions.sourcesOf('completed')).toEqual(['pending']);
    expect(() => refundTransitions.transition('failed', 'completed')).toThrow(expect.objectContaining({ code: 'INVALID_STATUS_TRANSITION' }));
  });
});

describe('isStaleAttempt (the one stale rule, on the injected clock)', () => {
  const now = new Date('2026-12-07T12:00:00Z');
  const startedAgo = (s: number) => new Date(now.getTime() - s * 1000);

  it('is a processing attempt started longer ago than the window', () => {
    expect(isStaleAttempt({ status: 'processing', processingStartedAt: startedAgo(91) }, now, 90)).toBe(true);
    expect(isStaleAttempt({ status: 'processing', processingStartedAt: startedAgo(90) }, now, 90)).toBe(false);
    expect(isStaleAttempt({ status: 'pending', processingStartedAt: startedAgo(600) }, now, 90)).toBe(false);
    expect(isStaleAttempt({ status: 'processing', processingStartedAt: null }, now, 90)).toBe(false);
  });
});
