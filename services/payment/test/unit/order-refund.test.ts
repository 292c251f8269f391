// How payment answers the saga's payment.refund without a key (domain/order-refund.ts).
import { orderRefundAnswer, paymentToRefundInFull } from '../../src/domain/order-refund';
import type { PaymentStatus } from '../../src/domain/payment-status';

const p = (paymentId: string, status: PaymentStatus, totalAmount = '10.00', refundedAmount = '0.00') => ({ paymentId, status, totalAmount, refundedAmount });

describe('payment.refund without a key', () => {
  it('refunds the captured payment that has something left', () => {
    expect(paymentToRefundInFull([p('a', 'cancelled'), p('b', 'completed')])?.paymentId).toBe('b');
    expect(paymentToRefundInFull([p('a', 'partially_refunded', '10.00', '4.00')])?.paymentId).toBe('a');
    expect(paymentToRefundInFull([p('a', 'partially_refunded', '10.00', '10.00'), p('b', 'pending')])).toBeUndefined();
  });

  it('waits while a refund or a charge is in flight: its completion answers', () => {
    expect(orderRefundAnswer([p('a', 'partially_refunded', '10.00', '10.00')], 1)).toEqual({ kind: 'wait', reason: 'refund in progress' });
    expect(orderRefundAnswer([p('a', 'processing')], 0)).toEqual({ kind: 'wait', reason: 'charge in progress' });
  });

  it('otherwise voids what could still be charged and answers with what was refunded before, or 0.00', () => {
    const before = p('a', 'refunded', '10.00', '10.00');
    const pending = p('b', 'pending');
    expect(orderRefundAnswer([before, pending], 0)).toEqual({ kind: 'answer', voidable: [pending], refundedBefore: before, latest: pending });
    const failed = p('c', 'failed');
    expect(orderRefundAnswer([p('x', 'expired'), failed], 0)).toEqual({ kind: 'answer', voidable: [failed], refundedBefore: null, latest: failed });
    expect(orderRefundAnswer([], 0)).toEqual({ kind: 'answer', voidable: [], refundedBefore: null, latest: null });
  });
});
