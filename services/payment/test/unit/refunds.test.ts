import { DomainError } from '@sudamall/shared';
import { decideRefundAmount, statusAfterRefunds } from '../../src/domain/refunds';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as DomainError).code;
  }
  return 'no error';
};

describe('refund rules', () => {
  const completed = { status: 'completed' as const, amount: '100.00', refundedAmount: '0.00' };

  it('refunds everything left when no amount is given', () => {
    expect(decideRefundAmount(completed)).toBe('100.00');
    expect(decideRefundAmount({ ...completed, status: 'partially_refunded', refundedAmount: '30.25' })).toBe('69.75');
  });

  it('accepts a partial amount up to what is left', () => {
    expect(decideRefundAmount(completed, '40')).toBe('40.00');
    expect(decideRefundAmount({ ...completed, refundedAmount: '60.00' }, '40.00')).toBe('40.00');
  });

  it('never lets the sum exceed the amount', () => {
    expect(codeOf(() => decideRefundAmount({ ...completed, refundedAmount: '60.00' }, '40.01'))).toBe('REFUND_EXCEEDS_REMAINING');
    expect(codeOf(() => decideRefundAmount({ ...completed, status: 'refunded', refundedAmount: '100.00' }))).toBe('REFUND_NOT_ALLOWED');
    expect(codeOf(() => decideRefundAmount({ ...completed, refundedAmount: '100.00' }))).toBe('PAYMENT_FULLY_REFUNDED');
  });

  it('refunds only captured payments', () => {
    for (const status of ['pending', 'processing', 'failed', 'cancelled', 'expired'] as const) {
      expect(codeOf(() => decideRefundAmount({ ...completed, status }))).toBe('REFUND_NOT_ALLOWED');
    }
  });

  it('rejects a zero amount', () => {
    expect(codeOf(() => decideRefundAmount(completed, '0.00'))).toBe('INVALID_REFUND_AMOUNT');
  });

  it('is refunded when completed refunds reach the amount, partially before', () => {
    expect(statusAfterRefunds('100.00', '100.00')).toBe('refunded');
    expect(statusAfterRefunds('100.00', '99.99')).toBe('partially_refunded');
  });
});
