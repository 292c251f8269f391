import { type DomainError } from '@sudamall/shared';
import {
  editedAddressFields,
  editedProfile,
  editKeepsOneDefault,
  formatAddress,
  MAX_ADDRESSES_PER_USER,
  newAddressFields,
  newAddressIsDefault,
  successorOfDefault,
} from '../../src/domain/address';

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as DomainError).code;
  }
  return null;
};

const base = { full_name: ' Amna ', line1: '12 Nile St', city: 'Khartoum', country: 'Sudan' };

it('a new address: trimmed, optional fields empty, required ones and limits enforced', () => {
  expect(newAddressFields(base)).toEqual({
    full_name: 'Amna',
    phone: '',
    line1: '12 Nile St',
    line2: '',
    city: 'Khartoum',
    region: '',
    postal_code: '',
    country: 'Sudan',
  });
  expect(codeOf(() => newAddressFields({ ...base, city: '  ' }))).toBe('ADDRESS_FIELD_REQUIRED');
  expect(codeOf(() => newAddressFields({ ...base, postal_code: '1'.repeat(21) }))).toBe('ADDRESS_FIELD_TOO_LONG');
  expect(codeOf(() => newAddressFields({ ...base, phone: '12ab' }))).toBe('INVALID_PHONE');
  expect(newAddressFields({ ...base, phone: ' +249 (91) 234-5678 ' }).phone).toBe('+249 (91) 234-5678');
});

it('an edit changes only the fields given', () => {
  const current = newAddressFields(base);
  expect(editedAddressFields(current, { city: 'Omdurman', line2: undefined })).toEqual({ ...current, city: 'Omdurman' });
});

it('one default: the first address is it, a later one when asked, never unset on the default itself', () => {
  expect(newAddressIsDefault(0, false)).toBe(true);
  expect(newAddressIsDefault(1, undefined)).toBe(false);
  expect(newAddressIsDefault(1, true)).toBe(true);
  expect(codeOf(() => newAddressIsDefault(MAX_ADDRESSES_PER_USER, false))).toBe('ADDRESS_LIMIT_REACHED');
  expect(codeOf(() => editKeepsOneDefault({ address_id: 'a', is_default: true }, false))).toBe('DEFAULT_ADDRESS_REQUIRED');
  expect(codeOf(() => editKeepsOneDefault({ address_id: 'a', is_default: false }, false))).toBeNull();
});

it('deleting the default promotes the oldest remaining address, or none', () => {
  const a = { address_id: 'b', created_at: '2026-01-02T00:00:00.000Z' };
  const b = { address_id: 'a', created_at: '2026-01-03T00:00:00.000Z' };
  expect(successorOfDefault([b, a])).toBe(a);
  expect(successorOfDefault([])).toBeNull();
});

it('formats the one-line shipping address, skipping empty parts', () => {
  expect(formatAddress(newAddressFields({ ...base, region: 'Khartoum State', postal_code: '11111' }))).toBe(
    'Amna, 12 Nile St, Khartoum, Khartoum State 11111, Sudan',
  );
});

it('profile edits: only the fields given, name length and phone checked', () => {
  expect(editedProfile({ name: 'A', phone: '' }, { phone: '+249 1234' })).toEqual({ name: 'A', phone: '+249 1234' });
  expect(codeOf(() => editedProfile({ name: '', phone: '' }, { name: 'x'.repeat(201) }))).toBe('PROFILE_FIELD_TOO_LONG');
  expect(codeOf(() => editedProfile({ name: '', phone: '' }, { phone: 'nope' }))).toBe('INVALID_PHONE');
});
