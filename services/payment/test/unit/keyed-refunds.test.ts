import type { DomainError } from '@sudamall/shared';
import { decideKeyedRefund, keyedRefundRequest, type KeyedRefundAttempt, type OrderPayment } from '../../src/domain/keyed-refunds';

const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return [(e as DomainError).kind, (e as DomainError).code];
  }
  return 'no error';
};

describe('payment.refund with a refund_key: the command', () => {
  it('is unkeyed (the full refund, unchanged) without key and amount', () => {
    expect(keyedRefundRequest({})).toBeNull();
    expect(keyedRefundRequest({ amount: undefined, refund_key: undefined })).toBeNull();
  });

  it('takes a key with an amount (normalised to cents) or without one (everything left)', () => {
    expect(keyedRefundRequest({ refund_key: 'adj-1', amount: '12.5' })).toEqual({ refundKey: 'adj-1', amount: '12.50' });
    expect(keyedRefundRequest({ refund_key: 'adj-1' })).toEqual({ refundKey: 'adj-1' });
  });

  it('refuses what only a sender bug produces, as invalid (parked by the bus, never guessed)', () => {
    expect(errorOf(() => keyedRefundRequest({ refund_key: 'k', amount: '0.00' }))).toEqual(['invalid', 'INVALID_REFUND_AMOUNT']);
    expect(errorOf(() => keyedRefundRequest({ refund_key: 'k', amount: '-1.00' }))).toEqual(['invalid', 'INVALID_REFUND_AMOUNT']);
    expect(errorOf(() => keyedRefundRequest({ refund_key: 'k', amount: '1.005' }))).toEqual(['invalid', 'INVALID_REFUND_AMOUNT']);
    expect(errorOf(() => keyedRefundRequest({ refund_key: 'k', amount: 5 }))).toEqual(['invalid', 'INVALID_REFUND_AMOUNT']);
    expect(errorOf(() => keyedRefundRequest({ refund_key: 'k', amount: 'ten' }))).toEqual(['invalid', 'INVALID_REFUND_AMOUNT']);
    expect(errorOf(() => keyedRefundRequest({ refund_key: '', amount: '1.00' }))).toEqual(['invalid', 'INVALID_REFUND_KEY']);
    expect(errorOf(() => keyedRefundRequest({ refund_key: 'a b' }))).toEqual(['invalid', 'INVALID_REFUND_KEY']);
    expect(errorOf(() => keyedRefundRequest({ refund_key: 7 }))).toEqual(['invalid', 'INVALID_REFUND_KEY']);
    expect(errorOf(() => keyedRefundRequest({ refund_key: 'x'.repeat(201) }))).toEqual(['invalid', 'INVALID_REFUND_KEY']);
    // A partial refund nobody names would be taken again by every re-send.
    expect(errorOf(() => keyedRefundRequest({ amount: '1.00' }))).toEqual(['invalid', 'REFUND_KEY_REQUIRED']);
  });
});

describe('payment.refund with a refund_key: the decision', () => {
  // 100.00 + 3.20 fee: 103.20 charged.
  const paid: OrderPayment = { paymentId: 'p1', status: 'completed', totalAmount: '103.20', refundedAmount: '0.00' };
  const attempt = (refundId: string, status: KeyedRefundAttempt['status']): KeyedRefundAttempt => ({ refundId, status });

  it('reserves the asked amount from the captured payment', () => {
    expect(decideKeyedRefund([], [paid], '40.00')).toEqual({
      kind: 'reserve',
      paymentId: 'p1',
      amount: '40.00',
      requested: '40.00',
      clamped: false,
      retry: false,
    });
    expect(decideKeyedRefund([], [{ ...paid, status: 'partially_refunded', refundedAmount: '40.00' }], '63.20')).toMatchObject({
      kind: 'reserve',
      amount: '63.20',
      clamped: false,
    });
  });

  it('never more than is left of what was captured (clamped), everything left without an amount', () => {
    const part = { ...paid, status: 'partially_refunded' as const, refundedAmount: '90.00' };
    expect(decideKeyedRefund([], [part], '20.00')).toEqual({
      kind: 'reserve',
      paymentId: 'p1',
      amount: '13.20',
      requested: '20.00',
      clamped: true,
      retry: false,
    });
    expect(decideKeyedRefund([], [part], undefined)).toEqual({
      kind: 'reserve',
      paymentId: 'p1',
      amount: '13.20',
      requested: undefined,
      clamped: false,
      retry: false,
    });
  });

  it('answers again instead of refunding twice: a pending refund under the key is waited for, a completed one repeated', () => {
    expect(decideKeyedRefund([attempt('r1', 'pending')], [paid], '10.00')).toEqual({ kind: 'in_progress', refund: attempt('r1', 'pending') });
    expect(decideKeyedRefund([attempt('r0', 'failed'), attempt('r1', 'completed')], [paid], '10.00')).toEqual({
      kind: 'refunded_before',
      refund: attempt('r1', 'completed'),
    });
    // Even when the payment has nothing left any more: the key's own refund is the answer.
    expect(decideKeyedRefund([attempt('r1', 'completed')], [{ ...paid, status: 'refunded', refundedAmount: '103.20' }], '10.00')).toMatchObject({
      kind: 'refunded_before',
    });
  });

  it('tries anew under a key whose every attempt the gateway refused', () => {
    expect(decideKeyedRefund([attempt('r1', 'failed'), attempt('r2', 'failed')], [paid], '10.00')).toEqual({
      kind: 'reserve',
      paymentId: 'p1',
      amount: '10.00',
      requested: '10.00',
      clamped: false,
      retry: true,
    });
  });

  it('answers 0.00 when nothing was captured (no payment, cash not collected, a declined card) or nothing is left', () => {
    expect(decideKeyedRefund([], [], '10.00')).toEqual({ kind: 'nothing_to_refund', paymentId: null, why: 'nothing_captured' });
    const cod: OrderPayment = { paymentId: 'cod', status: 'pending', totalAmount: '40.00', refundedAmount: '0.00' };
    expect(decideKeyedRefund([], [{ ...paid, paymentId: 'old', status: 'failed' }, cod], '10.00')).toEqual({
      kind: 'nothing_to_refund',
      paymentId: 'cod',
      why: 'nothing_captured',
    });
    expect(decideKeyedRefund([], [{ ...paid, status: 'refunded', refundedAmount: '103.20' }], '10.00')).toEqual({
      kind: 'nothing_to_refund',
      paymentId: 'p1',
      why: 'nothing_left',
    });
    // Everything reserved by refunds still pending: nothing left to reserve either.
    expect(decideKeyedRefund([], [{ ...paid, refundedAmount: '103.20' }], undefined)).toEqual({
      kind: 'nothing_to_refund',
      paymentId: 'p1',
      why: 'nothing_left',
    });
  });

  it('takes it from the captured payment that has something left, not from a failed or cancelled one', () => {
    const failed: OrderPayment = { paymentId: 'p0', status: 'failed', totalAmount: '103.20', refundedAmount: '0.00' };
    expect(decideKeyedRefund([], [failed, paid], '5.00')).toMatchObject({ kind: 'reserve', paymentId: 'p1', amount: '5.00' });
  });
});
