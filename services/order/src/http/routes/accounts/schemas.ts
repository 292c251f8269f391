import { Type } from '@sinclair/typebox';
import { NOT_BLANK_PATTERN, PHONE_PATTERN } from '../../../domain/address';

// Field limits are checked again in domain/address.ts (after trimming) with their own codes; the
// patterns say in the document what those rules accept, so a request they refuse is schema-invalid.
const text = (max: number) => Type.String({ maxLength: max });
const required = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: NOT_BLANK_PATTERN });
const phone = Type.String({ maxLength: 32, pattern: PHONE_PATTERN, description: 'digits, spaces, ( ) - and an optional leading +; empty for none' });

export const AddressFieldsSchema = {
  full_name: text(200),
  phone: text(32),
  line1: text(200),
  line2: text(200),
  city: text(100),
  region: text(100),
  postal_code: text(20),
  country: text(100),
};

export const AddressSnapshotSchema = Type.Object({ address_id: Type.String(), ...AddressFieldsSchema });

export const AddressSchema = Type.Object({
  address_id: Type.String(),
  ...AddressFieldsSchema,
  is_default: Type.Boolean(),
  created_at: Type.String(),
  updated_at: Type.String(),
});

export const AddressList = Type.Object({ items: Type.Array(AddressSchema) });

export const CreateAddressBody = Type.Object(
  {
    full_name: required(200),
    phone: Type.Optional(phone),
    line1: required(200),
    line2: Type.Optional(text(200)),
    city: required(100),
    region: Type.Optional(text(100)),
    postal_code: Type.Optional(text(20)),
    country: required(100),
    is_default: Type.Optional(Type.Boolean({ description: 'make it the default (the first address always is)' })),
  },
  { additionalProperties: false },
);

export const UpdateAddressBody = Type.Partial(CreateAddressBody, { additionalProperties: false, minProperties: 1 });

export const AddressIdParams = Type.Object({ address_id: Type.String({ minLength: 1, maxLength: 64 }) });

export const ProfileSchema = Type.Object({
  id: Type.String({ description: 'from the token' }),
  email: Type.Union([Type.String(), Type.Null()], { description: "from the token's email claim" }),
  role: Type.String({ description: 'from the token' }),
  name: Type.String(),
  phone: Type.String(),
});

export const UpdateProfileBody = Type.Object(
  { name: Type.Optional(Type.String({ maxLength: 200 })), phone: Type.Optional(phone) },
  { additionalProperties: false, minProperties: 1 },
);
