import type { AuthUser } from '@sudamall/shared';
import { addressNotFound, newAddressFields, newAddressIsDefault, type Address, type AddressFields } from '../domain/address';
import type { AccountStore } from './ports';

/** A new saved address; the user's first becomes the default whatever is asked (domain/address.ts). */
export class CreateAddress {
  constructor(
    private readonly store: AccountStore,
    private readonly newId: () => string,
  ) {}

  async execute(user: AuthUser, input: Partial<AddressFields> & { is_default?: boolean }): Promise<Address> {
    const fields = newAddressFields(input);
    const id = this.newId();
    await this.store.withUserAddresses(user.id, async (tx) => {
      const existing = await tx.list();
      const isDefault = newAddressIsDefault(existing.length, input.is_default);
      await tx.insert({ ...fields, address_id: id, is_default: false });
      if (isDefault) await tx.makeDefault(id);
    });
    const created = await this.store.findAddress(user.id, id);
    if (!created) throw addressNotFound(id);
    return created;
  }
}
