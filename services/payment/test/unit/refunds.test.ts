import { type DomainError, invalid, unavailable, conflict, notFound } from '@sudamall/shared';
import { canRefundTransition, decideRefundAmount, refundableAmount, refundErrorOutcome, statusAfterRefunds } from '../../src/domain/refunds';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as DomainError).code;
  }
  return 'no error';
};

describe('refund rules', () => {
  // 100.00 for the order + 3.20 gateway fee: the buyer was charged 103.20.
  const completed = { status: 'completed' as const, totalAmount: '103.20', refundedAmount: '0.00' };

  it('refunds everything the buyer paid, fee included, when no amount is given', () => {
    expect(decideRefundAmount(completed)).toBe('103.20');
    expect(decideRefundAmount({ ...completed, status: 'partially_refunded', refundedAmount: '30.25' })).toBe('72.95');
  });

  it('the refundable balance is total_amount − refunded, and nothing before a capture', () => {
    expect(refundableAmount(completed)).toBe('103.20');
    expect(refundableAmount({ ...completed, status: 'partially_refunded', refundedAmount: '100.00' })).toBe('3.20');
    expect(refundableAmount({ ...completed, status: 'refunded', refundedAmount: '103.20' })).toBe('0.00');
    expect(refundableAmount({ ...completed, status: 'pending' })).toBe('0.00');
  });

  it('accepts a partial amount up to what is left, the fee included', () => {
    expect(decideRefundAmount(completed, '40')).toBe('40.00');
    expect(decideRefundAmount({ ...completed, refundedAmount: '60.00' }, '43.20')).toBe('43.20');
  });

  it('never lets the sum exceed what was charged', () => {
    expect(codeOf(() => decideRefundAmount({ ...completed, refundedAmount: '60.00' }, '43.21'))).toBe('REFUND_EXCEEDS_REMAINING');
    expect(codeOf(() => decideRefundAmount({ ...completed, status: 'refunded', refundedAmount: '103.20' }))).toBe('REFUND_NOT_ALLOWED');
    expect(codeOf(() => decideRefundAmount({ ...completed, refundedAmount: '103.20' }))).toBe('PAYMENT_FULLY_REFUNDED');
  });

  it('refunds only captured payments', () => {
    for (const status of ['pending', 'processing', 'failed', 'cancelled', 'expired'] as const) {
      expect(codeOf(() => decideRefundAmount({ ...completed, status }))).toBe('REFUND_NOT_ALLOWED');
    }
  });

  it('rejects a zero amount', () => {
    expect(codeOf(() => decideRefundAmount(completed, '0.00'))).toBe('INVALID_REFUND_AMOUNT');
  });

  it('is refunded when completed refunds reach what was charged, partially before', () => {
    expect(statusAfterRefunds('103.20', '103.20')).toBe('refunded');
    // Giving back the order amount but keeping the fee is not a full refund.
    expect(statusAfterRefunds('103.20', '100.00')).toBe('partially_refunded');
  });

  it('settles a refund once: pending → completed | failed, never back', () => {
    expect(canRefundTransition('pending', 'completed')).toBe(true);
    expect(canRefundTransition('pending', 'failed')).toBe(true);
    expect(canRefundTransition('completed', 'failed')).toBe(false);
    expect(canRefundTransition('failed', 'completed')).toBe(false);
  });

  it('fails a refund only on a definite rejection; a timeout or an outage is an unknown outcome', () => {
    expect(refundErrorOutcome(invalid('GATEWAY_REJECTED', 'no'))).toBe('rejected');
    expect(refundErrorOutcome(notFound('GATEWAY_NOT_AVAILABLE', 'no gateway'))).toBe('rejected');
    expect(refundErrorOutcome(unavailable('GATEWAY_UNAVAILABLE', 'timeout'))).toBe('unknown');
    expect(refundErrorOutcome(conflict('GATEWAY_IDEMPOTENCY_CONFLICT', 'in use'))).toBe('unknown');
    expect(refundErrorOutcome(new Error('socket hang up'))).toBe('unknown');
  });
});
