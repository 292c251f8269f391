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
    ['expired', 'completed'],
    ['pending', 'refunded'],
    ['failed', 'refunded'],
  ] as const)('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('has no way out of the terminal states', () => {
    for (const terminal of ['refunded', 'expired', 'cancelled'] as const) {
      for (const to of PAYMENT_STATUSES) expect(canTransition(terminal, to)).toBe(false);
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
