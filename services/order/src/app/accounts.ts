import type { AuthUser } from '@sudamall/shared';
import {
  addressNotFound,
  addressSnapshot,
  editedAddressFields,
  editedProfile,
  editKeepsOneDefault,
  formatAddress,
  newAddressFields,
  newAddressIsDefault,
  successorOfDefault,
  type Address,
  type AddressFields,
  type AddressSnapshot,
  type ProfileFields,
} from '../domain/address';
import { isUuid } from '../domain/errors';

export interface ProfileView extends ProfileFields {
  id: string;
  email: string | null;
  role: string;
}

/**
 * The user's addresses, each call one transaction serialised per user (so two first addresses
 * created at once cannot both become the default: the partial unique index would refuse one).
 */
export interface AccountStore {
  getProfile(userId: string): Promise<ProfileFields | null>;
  saveProfile(userId: string, profile: ProfileFields): Promise<void>;
  listAddresses(userId: string): Promise<Address[]>;
  findAddress(userId: string, addressId: string): Promise<Address | null>;
  /** Runs `work` in a transaction holding the user's address lock; `tx` sees and changes only that user's rows. */
  withUserAddresses<T>(userId: string, work: (tx: UserAddressTx) => Promise<T>): Promise<T>;
}

export interface UserAddressTx {
  list(): Promise<Address[]>;
  insert(address: AddressFields & { address_id: string; is_default: boolean }): Promise<void>;
  update(addressId: string, fields: AddressFields): Promise<void>;
  /** Makes this address the only default (clears the old default first). */
  makeDefault(addressId: string): Promise<void>;
  remove(addressId: string): Promise<void>;
}

/** Where place-order resolves an address_id: the user's own address, or none. */
export interface AddressLookup {
  resolve(userId: string, addressId: string): Promise<{ text: string; snapshot: AddressSnapshot }>;
}

export class Accounts implements AddressLookup {
  constructor(
    private readonly store: AccountStore,
    private readonly newId: () => string,
  ) {}

  async profile(user: AuthUser): Promise<ProfileView> {
    const p = (await this.store.getProfile(user.id)) ?? { name: '', phone: '' };
    return { id: user.id, email: user.email ?? null, role: user.role, name: p.name, phone: p.phone };
  }

  async updateProfile(user: AuthUser, patch: Partial<ProfileFields>): Promise<ProfileView> {
    const current = (await this.store.getProfile(user.id)) ?? { name: '', phone: '' };
    await this.store.saveProfile(user.id, editedProfile(current, patch));
    return this.profile(user);
  }

  addresses(user: AuthUser): Promise<Address[]> {
    return this.store.listAddresses(user.id);
  }

  async createAddress(user: AuthUser, input: Partial<AddressFields> & { is_default?: boolean }): Promise<Address> {
    const fields = newAddressFields(input);
    const id = this.newId();
    await this.store.withUserAddresses(user.id, async (tx) => {
      const existing = await tx.list();
      const isDefault = newAddressIsDefault(existing.length, input.is_default);
      await tx.insert({ ...fields, address_id: id, is_default: false });
      if (isDefault) await tx.makeDefault(id);
    });
    return (await this.store.findAddress(user.id, id))!;
  }

  async updateAddress(user: AuthUser, addressId: string, patch: Partial<AddressFields> & { is_default?: boolean }): Promise<Address> {
    if (!isUuid(addressId)) throw addressNotFound(addressId);
    await this.store.withUserAddresses(user.id, async (tx) => {
      const current = (await tx.list()).find((a) => a.address_id === addressId);
      // Another user's address answers exactly like one that does not exist.
      if (!current) throw addressNotFound(addressId);
      editKeepsOneDefault(current, patch.is_default);
      const { is_default, ...fieldPatch } = patch;
      await tx.update(addressId, editedAddressFields(current, fieldPatch));
      if (is_default === true && !current.is_default) await tx.makeDefault(addressId);
    });
    return (await this.store.findAddress(user.id, addressId))!;
  }

  async deleteAddress(user: AuthUser, addressId: string): Promise<void> {
    if (!isUuid(addressId)) throw addressNotFound(addressId);
    await this.store.withUserAddresses(user.id, async (tx) => {
      const all = await tx.list();
      const target = all.find((a) => a.address_id === addressId);
      if (!target) throw addressNotFound(addressId);
      await tx.remove(addressId);
      if (target.is_default) {
        const next = successorOfDefault(all.filter((a) => a.address_id !== addressId));
        if (next) await tx.makeDefault(next.address_id);
      }
    });
  }

  async resolve(userId: string, addressId: string): Promise<{ text: string; snapshot: AddressSnapshot }> {
    const a = isUuid(addressId) ? await this.store.findAddress(userId, addressId) : null;
    if (!a) throw addressNotFound(addressId);
    return { text: formatAddress(a), snapshot: addressSnapshot(a) };
  }
}
