import { canTransition, PAYMENT_STATUSES, voidedStatusFor } from '../../src/domain/payment-status';

describe('payment state machine', () => {
  it.each([
    ['pending', 'processing'],
    ['processing', 'completed'],
    ['processing', 'failed'],
    ['failed', 'processing'],
    ['completed', 'partially_refunded'],
    ['partially_refunded', 'refunded'],
    ['pending', 'expired'],
    ['failed', 'cancelled'],
  ] as const)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each([
    ['completed', 'failed'],
    ['completed', 'processing'],
    ['refunded', 'completed'],
    ['cancelled', 'processing'],
    ['expired', 'pending'],
    ['pending', 'refunded'],
    ['failed', 'refunded'],
  ] as const)('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('has no way out of refunded; expired and cancelled only to completed (a capture confirmed late)', () => {
    for (const to of PAYMENT_STATUSES) expect(canTransition('refunded', to)).toBe(false);
    for (const from of ['expired', 'cancelled'] as const) {
      expect(PAYMENT_STATUSES.filter((to) => canTransition(from, to))).toEqual(['completed']);
    }
  });
});

describe('voided status', () => {
  it('expires payments voided by the payment deadline and cancels the others', () => {
    expect(voidedStatusFor('payment_timeout')).toBe('expired');
    expect(voidedStatusFor('order_cancelled')).toBe('cancelled');
    expect(voidedStatusFor('out_of_stock')).toBe('cancelled');
  });
});
