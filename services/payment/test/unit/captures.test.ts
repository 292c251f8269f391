// What a reported capture means (domain/captures.ts) and the duplicate captures' refund states.
import { captureMayCompete, captureVerdict, duplicateCaptureTransitions } from '../../src/domain/captures';
import { PAYMENT_STATUSES } from '../../src/domain/payment-status';

describe('captureVerdict', () => {
  it('completes a payment that can still complete, unless another payment of the order is live', () => {
    for (const status of ['pending', 'processing', 'failed', 'expired', 'cancelled'] as const) {
      expect(captureVerdict({ status, gatewayTransactionId: null }, 'txn', false)).toBe('complete');
      expect(captureVerdict({ status, gatewayTransactionId: null }, 'txn', true)).toBe('duplicate');
    }
  });

  it('a captured payment: the same transaction is a replay, another one a duplicate (money paid twice)', () => {
    for (const status of ['completed', 'partially_refunded', 'refunded'] as const) {
      expect(captureVerdict({ status, gatewayTransactionId: 'txn' }, 'txn', false)).toBe('replayed');
      expect(captureVerdict({ status, gatewayTransactionId: 'txn' }, 'other', false)).toBe('duplicate');
    }
  });

  it('asks for another live payment only for a payment that is not the live one itself', () => {
    expect(PAYMENT_STATUSES.filter((status) => captureMayCompete({ status, gatewayTransactionId: null }))).toEqual(['failed', 'expired', 'cancelled']);
  });
});

describe('duplicate capture refund states', () => {
  it('settle once: refund_pending → refunded | refund_failed, nothing after', () => {
    expect(duplicateCaptureTransitions.sourcesOf('refunded')).toEqual(['refund_pending']);
    expect(duplicateCaptureTransitions.sourcesOf('refund_failed')).toEqual(['refund_pending']);
    expect(() => duplicateCaptureTransitions.transition('refunded', 'refund_failed')).toThrow(expect.objectContaining({ code: 'INVALID_STATUS_TRANSITION' }));
  });
});
