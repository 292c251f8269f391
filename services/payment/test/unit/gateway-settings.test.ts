import type { DomainError } from '@sudamall/shared';
import { applySettingsPatch, settingsChanged } from '../../src/domain/gateway-settings';

const current = { fixed_fee: '0.30', percentage_fee: '2.90', is_active: true };
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as DomainError).code;
  }
  return null;
};

it('applies only the fields given, normalised to two decimals', () => {
  expect(applySettingsPatch(current, { fixed_fee: '1' })).toEqual({ ...current, fixed_fee: '1.00' });
  expect(applySettingsPatch(current, { percentage_fee: '0.5', is_active: false })).toEqual({ fixed_fee: '0.30', percentage_fee: '0.50', is_active: false });
  expect(applySettingsPatch(current, { percentage_fee: '100' }).percentage_fee).toBe('100.00');
});

it.each([
  [{ fixed_fee: '-0.01' }, 'INVALID_FIXED_FEE'],
  [{ fixed_fee: '0.001' }, 'INVALID_FIXED_FEE'],
  [{ fixed_fee: '1e2' }, 'INVALID_FIXED_FEE'],
  [{ fixed_fee: '' }, 'INVALID_FIXED_FEE'],
  [{ percentage_fee: '100.01' }, 'INVALID_PERCENTAGE_FEE'],
  [{ percentage_fee: '1.234' }, 'INVALID_PERCENTAGE_FEE'],
  [{ percentage_fee: 'NaN' }, 'INVALID_PERCENTAGE_FEE'],
])('%j is refused with %s', (patch, code) => {
  expect(codeOf(() => applySettingsPatch(current, patch))).toBe(code);
});

it('tells a change from a no-op', () => {
  expect(settingsChanged(current, applySettingsPatch(current, { fixed_fee: '0.30' }))).toBe(false);
  expect(settingsChanged(current, applySettingsPatch(current, { is_active: false }))).toBe(true);
});
