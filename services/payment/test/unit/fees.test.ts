import { calculateCharges, toMinorUnits } from '../../src/domain/fees';

describe('gateway fees', () => {
  it('adds fixed + percentage of the amount, rounded half-up to the cent', () => {
    // 100.00 × 2.9 % = 2.90, + 0.30 = 3.20
    expect(calculateCharges('100.00', { fixedFee: '0.30', percentageFee: '2.90' })).toEqual({
      amount: '100.00',
      gatewayFee: '3.20',
      totalAmount: '103.20',
    });
  });

  it('rounds the exact fee once, half-up (10.50 × 2.9 % = 0.3045 → 0.30 + 0.30 = 0.60)', () => {
    expect(calculateCharges('10.50', { fixedFee: '0.30', percentageFee: '2.90' }).gatewayFee).toBe('0.60');
  });

  it('rounds a half cent up, where binary floats would round down', () => {
    // 1.15 × 3.49 % = 0.040135 → + 0.49 = 0.530135 → 0.53; 0.05 × 10 % = 0.005 → 0.01
    expect(calculateCharges('1.15', { fixedFee: '0.49', percentageFee: '3.49' }).gatewayFee).toBe('0.53');
    expect(calculateCharges('0.05', { fixedFee: '0', percentageFee: '10' }).gatewayFee).toBe('0.01');
    expect(calculateCharges('19.99', { fixedFee: '0.30', percentageFee: '2.90' })).toEqual({
      amount: '19.99',
      gatewayFee: '0.88', // 0.57971 + 0.30 = 0.87971
      totalAmount: '20.87',
    });
  });

  it('charges nothing for a free gateway and keeps two decimals', () => {
    expect(calculateCharges('42', { fixedFee: '0.00', percentageFee: '0.00' })).toEqual({ amount: '42.00', gatewayFee: '0.00', totalAmount: '42.00' });
  });

  it('handles large amounts exactly', () => {
    // 12345678.91 × 2.9 % = 358024.68839, + 0.30 = 358024.98839 → 358024.99
    expect(calculateCharges('12345678.91', { fixedFee: '0.30', percentageFee: '2.90' })).toEqual({
      amount: '12345678.91',
      gatewayFee: '358024.99',
      totalAmount: '12703703.90',
    });
  });

  it('converts to minor units for Stripe without float drift', () => {
    expect(toMinorUnits('20.87')).toBe(2087);
    expect(toMinorUnits('0.29')).toBe(29);
    expect(toMinorUnits('1.005')).toBe(101);
  });
});
