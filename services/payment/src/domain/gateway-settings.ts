import { formatMoney, invalid, isMoneyString, money } from '@sudamall/shared';

// An admin's change of a gateway's fees or activation: plain rules, no SQL.

export interface GatewaySettings {
  /** decimal string with two decimals, e.g. "0.30" */
  fixed_fee: string;
  /** a percent of the amount with two decimals, "2.90" = 2.9 % */
  percentage_fee: string;
  is_active: boolean;
}

export interface GatewaySettingsPatch {
  fixed_fee?: string;
  percentage_fee?: string;
  is_active?: boolean;
}

// At most two decimals, written as a plain decimal (no exponent, no sign): a fee is money, never a float.
const PERCENT = /^\d{1,3}(\.\d{1,2})?$/;
/** PERCENT with its 0..100 bound, for the REST schema (a pattern cannot compare numbers, so 100 is spelled out). */
export const PERCENT_PATTERN = '^(?:0?\\d{1,2}(?:\\.\\d{1,2})?|100(?:\\.0{1,2})?)$';

export function validFixedFee(v: string): string {
  if (!isMoneyString(v))
    throw invalid('INVALID_FIXED_FEE', 'fixed_fee is a decimal >= 0 with at most 2 decimals, e.g. "0.30"', { field: 'fixed_fee', value: v });
  return formatMoney(money(v));
}

export function validPercentageFee(v: string): string {
  if (!PERCENT.test(v) || money(v).greaterThan(100)) {
    throw invalid('INVALID_PERCENTAGE_FEE', 'percentage_fee is a percent from 0 to 100 with at most 2 decimals, e.g. "2.90"', {
      field: 'percentage_fee',
      value: v,
    });
  }
  return formatMoney(money(v));
}

/** The settings after the patch (fields not given stay), with every given value validated. */
export function applySettingsPatch(current: GatewaySettings, patch: GatewaySettingsPatch): GatewaySettings {
  return {
    fixed_fee: patch.fixed_fee === undefined ? current.fixed_fee : validFixedFee(patch.fixed_fee),
    percentage_fee: patch.percentage_fee === undefined ? current.percentage_fee : validPercentageFee(patch.percentage_fee),
    is_active: patch.is_active ?? current.is_active,
  };
}

export function settingsChanged(a: GatewaySettings, b: GatewaySettings): boolean {
  return a.fixed_fee !== b.fixed_fee || a.percentage_fee !== b.percentage_fee || a.is_active !== b.is_active;
}
