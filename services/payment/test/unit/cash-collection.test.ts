import type { DomainError } from '@sudamall/shared';
import { collectedAmount, decideCollection, type OrderCashPayment } from '../../src/domain/cash-collection';

const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return [(e as DomainError).kind, (e as DomainError).code];
  }
  return 'no error';
};

const cod = (over: Partial<OrderCashPayment> = {}): OrderCashPayment => ({
  paymentId: 'pay-cod',
  gateway: 'cash_on_delivery',
  status: 'pending',
  amount: '80.00',
  gatewayFee: '0.00',
  totalAmount: '80.00',
  awaitingCollection: true,
  ...over,
});

describe('payment.collect: the command', () => {
  it('takes a positive money string, normalised to cents', () => {
    expect(collectedAmount({ amount: '80' })).toBe('80.00');
    expect(collectedAmount({ amount: '12.5' })).toBe('12.50');
  });

  it('refuses what only a sender bug produces, as invalid (parked by the bus, never guessed)', () => {
    for (const amount of ['0.00', '0', '-1.00', '1.005', 'ten', 5, undefined, null, '']) {
      expect(errorOf(() => collectedAmount({ amount }))).toEqual(['invalid', 'INVALID_COLLECT_AMOUNT']);
    }
  });
});

describe('payment.collect: the decision', () => {
  it('completes the payment awaiting collection unchanged when all of it was collected', () => {
    expect(decideCollection([cod()], '80.00')).toEqual({
      kind: 'collect',
      paymentId: 'pay-cod',
      amount: '80.00',
      gatewayFee: '0.00',
      totalAmount: '80.00',
      ordered: null,
    });
  });

  it('completes it for what was collected when a part was refused, keeping what was ordered', () => {
    expect(decideCollection([cod()], '55.25')).toEqual({
      kind: 'collect',
      paymentId: 'pay-cod',
      amount: '55.25',
      gatewayFee: '0.00',
      totalAmount: '55.25',
      ordered: { amount: '80.00', gatewayFee: '0.00', totalAmount: '80.00' },
    });
  });

  it('keeps a gateway fee and takes the shortfall from the goods (amount + fee = total still)', () => {
    const withFee = cod({ amount: '100.00', gatewayFee: '3.00', totalAmount: '103.00' });
    expect(decideCollection([withFee], '60.00')).toMatchObject({ kind: 'collect', amount: '57.00', gatewayFee: '3.00', totalAmount: '60.00' });
    // Less collected than the fee itself: the fee is cut to it, never a negative amount.
    expect(decideCollection([withFee], '2.00')).toMatchObject({ kind: 'collect', amount: '0.00', gatewayFee: '2.00', totalAmount: '2.00' });
  });

  it('refuses more than the payment is for, as invalid', () => {
    expect(errorOf(() => decideCollection([cod()], '80.01'))).toEqual(['invalid', 'INVALID_COLLECT_AMOUNT']);
  });

  it('changes nothing once collected (a re-sent command, an admin by hand), whatever the amount', () => {
    for (const status of ['completed', 'partially_refunded', 'refunded'] as const) {
      expect(decideCollection([cod({ status, awaitingCollection: false })], '500.00')).toEqual({
        kind: 'collected_before',
        paymentId: 'pay-cod',
        totalAmount: '80.00',
      });
    }
  });

  it('finds nothing to collect without a cash payment awaiting collection', () => {
    expect(decideCollection([], '10.00')).toEqual({ kind: 'nothing_to_collect', paymentId: null, why: 'no_payment' });
    expect(decideCollection([cod({ paymentId: 'card', gateway: 'test_gateway', status: 'completed', awaitingCollection: false })], '10.00')).toEqual({
      kind: 'nothing_to_collect',
      paymentId: 'card',
      why: 'not_cash_on_delivery',
    });
    expect(decideCollection([cod({ status: 'cancelled' })], '10.00')).toMatchObject({ kind: 'nothing_to_collect', why: 'not_awaiting_collection' });
    // Chosen but never processed: the order has not shipped on it.
    expect(decideCollection([cod({ awaitingCollection: false })], '10.00')).toMatchObject({ kind: 'nothing_to_collect', why: 'not_awaiting_collection' });
  });

  it("takes the one awaiting collection among the order's earlier, cancelled payments", () => {
    const payments = [cod({ paymentId: 'old', status: 'cancelled' }), cod({ paymentId: 'new' })];
    expect(decideCollection(payments, '80.00')).toMatchObject({ kind: 'collect', paymentId: 'new' });
  });
});
