import { formatMoney, money, roundCents, type Decimal } from '@sudamall/shared';

export interface FeeSchedule {
  /** Added to every payment, e.g. "0.30". */
  fixedFee: Decimal | string;
  /** A percent of the amount: "2.90" means 2.9 %. */
  percentageFee: Decimal | string;
}

export interface PaymentCharges {
  amount: string;
  gatewayFee: string;
  totalAmount: string;
}

/**
 * fee = fixed + amount × percentage / 100, computed exactly and rounded half-up to cents once
 * at the end (rounding the parts separately could be a cent off); total = amount + fee.
 */
export function calculateCharges(amount: Decimal | string, fees: FeeSchedule): PaymentCharges {
  const base = roundCents(money(amount));
  const fee = roundCents(money(fees.fixedFee).plus(base.times(money(fees.percentageFee)).dividedBy(100)));
  return { amount: formatMoney(base), gatewayFee: formatMoney(fee), totalAmount: formatMoney(base.plus(fee)) };
}

/** Gateways that take integer minor units (Stripe): "10.30" → 1030. */
export function toMinorUnits(amount: Decimal | string): number {
  return roundCents(money(amount)).times(100).toNumber();
}
