import { conflict, invalid, notFound, unprocessable } from '@sudamall/shared';

// Saved shipping addresses and the profile fields the platform keeps: plain rules, no SQL.

export const MAX_ADDRESSES_PER_USER = 20;

/** The fields of an address a user writes (API names). */
export interface AddressFields {
  full_name: string;
  phone: string;
  line1: string;
  line2: string;
  city: string;
  region: string;
  postal_code: string;
  country: string;
}

export interface Address extends AddressFields {
  address_id: string;
  is_default: boolean;
  created_at: string;
  updated_at: string;
}

/** What an order keeps of the address it was placed with: the address as it was then. */
export type AddressSnapshot = AddressFields & { address_id: string };

/** field → [required, maximum length] */
const LIMITS: Readonly<Record<keyof AddressFields, readonly [boolean, number]>> = {
  full_name: [true, 200],
  phone: [false, 32],
  line1: [true, 200],
  line2: [false, 200],
  city: [true, 100],
  region: [false, 100],
  postal_code: [false, 20],
  country: [true, 100],
};
export const ADDRESS_FIELDS = Object.keys(LIMITS) as Array<keyof AddressFields>;

// Digits with the usual separators and an optional leading +: enough for a courier to call.
const PHONE = /^\+?[0-9][0-9 ()-]{3,30}$/;
/** What the REST schemas accept for a phone: PHONE, or nothing, around blanks the rules trim. */
export const PHONE_PATTERN = '^\\s*(?:\\+?[0-9][0-9 ()-]{3,30})?\\s*$';
/** A required text field: something other than blanks (they are trimmed). */
export const NOT_BLANK_PATTERN = '\\S';

export const addressNotFound = (addressId: string) => notFound('ADDRESS_NOT_FOUND', `address ${addressId} does not exist`, { address_id: addressId });
export const addressLimitReached = () =>
  conflict('ADDRESS_LIMIT_REACHED', `at most ${MAX_ADDRESSES_PER_USER} saved addresses per user`, { limit: MAX_ADDRESSES_PER_USER });
export const defaultAddressRequired = (addressId: string) =>
  conflict('DEFAULT_ADDRESS_REQUIRED', 'a user with addresses always has a default one: make another address the default instead', { address_id: addressId });
export const shippingAddressChoice = () =>
  unprocessable('SHIPPING_ADDRESS_OR_ADDRESS_ID', 'give exactly one of shipping_address (text) or address_id (a saved address)');

export function validPhone(phone: string, field = 'phone'): string {
  const p = phone.trim();
  if (p !== '' && !PHONE.test(p)) throw invalid('INVALID_PHONE', `${field} must be digits, spaces, ( ) - and an optional leading +`, { field });
  return p;
}

// Counted as the schema's maxLength counts (code points), not in UTF-16 units: an emoji is one
// character, so a field the schema accepts is not refused here as too long (schemathesis found it).
const characters = (s: string): number => [...s].length;

function clean(field: keyof AddressFields, value: string | undefined): string {
  const [required, max] = LIMITS[field];
  const v = (value ?? '').trim();
  if (required && v === '') throw invalid('ADDRESS_FIELD_REQUIRED', `${field} is required`, { field });
  if (characters(v) > max) throw invalid('ADDRESS_FIELD_TOO_LONG', `${field} is at most ${max} characters`, { field, max });
  return field === 'phone' ? validPhone(v) : v;
}

/** A new address: required fields present, every field trimmed and within its limit. */
export function newAddressFields(input: Partial<AddressFields>): AddressFields {
  return Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, clean(f, input[f])])) as unknown as AddressFields;
}

/** An edit: only the fields given change, with the same rules as a new address. */
export function editedAddressFields(current: AddressFields, patch: Partial<AddressFields>): AddressFields {
  return newAddressFields({ ...current, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) });
}

/**
 * Whether a new address becomes the default: the first one always does (a user with addresses
 * always has exactly one default), a later one when asked.
 */
export function newAddressIsDefault(existingCount: number, requested: boolean | undefined): boolean {
  if (existingCount >= MAX_ADDRESSES_PER_USER) throw addressLimitReached();
  return existingCount === 0 || requested === true;
}

/** is_default on an edit: true moves the default here; false on the default itself is refused (it would leave none). */
export function editKeepsOneDefault(address: Pick<Address, 'address_id' | 'is_default'>, requested: boolean | undefined): void {
  if (requested === false && address.is_default) throw defaultAddressRequired(address.address_id);
}

/**
 * Deleting the default promotes the oldest remaining address (the one the user has had longest),
 * so checkout by default keeps working; deleting the last address leaves none.
 */
export function successorOfDefault<T extends { created_at: string; address_id: string }>(remaining: T[]): T | null {
  const sorted = [...remaining].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.address_id.localeCompare(b.address_id));
  return sorted[0] ?? null;
}

export function addressSnapshot(a: AddressFields & { address_id: string }): AddressSnapshot {
  const snap = { address_id: a.address_id } as AddressSnapshot;
  for (const f of ADDRESS_FIELDS) snap[f] = a[f];
  return snap;
}

/** The one-line text an order shows as its shipping_address. */
export function formatAddress(a: AddressFields): string {
  const cityLine = [a.city, [a.region, a.postal_code].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  return [a.full_name, a.line1, a.line2, cityLine, a.country, a.phone].filter((s) => s.trim() !== '').join(', ');
}

export interface ProfileFields {
  name: string;
  phone: string;
}

export const MAX_PROFILE_NAME = 200;

/** A profile edit: only the fields given change. */
export function editedProfile(current: ProfileFields, patch: Partial<ProfileFields>): ProfileFields {
  const name = (patch.name ?? current.name).trim();
  if (characters(name) > MAX_PROFILE_NAME)
    throw invalid('PROFILE_FIELD_TOO_LONG', `name is at most ${MAX_PROFILE_NAME} characters`, { field: 'name', max: MAX_PROFILE_NAME });
  const phone = validPhone(patch.phone ?? current.phone);
  return { name, phone };
}
