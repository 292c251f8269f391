import type { AuthUser } from '@sudamall/shared';
import { addressNotFound, editedAddressFields, editKeepsOneDefault, type Address, type AddressFields } from '../domain/address';
import { isUuid } from '../domain/errors';
import type { AccountStore } from './ports';

/** Changes the fields given of one of the user's addresses; `is_default: true` makes it the default. */
export class UpdateAddress {
  constructor(private readonly store: AccountStore) {}

  async execute(user: AuthUser, addressId: string, patch: Partial<AddressFields> & { is_default?: boolean }): Promise<Address> {
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
    const updated = await this.store.findAddress(user.id, addressId);
    if (!updated) throw addressNotFound(addressId);
    return updated;
  }
}
