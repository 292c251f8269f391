import type { AuthUser } from '@sudamall/shared';
import { addressNotFound, successorOfDefault } from '../domain/address';
import { isUuid } from '../domain/errors';
import type { AccountStore } from './ports';

/** Deletes one of the user's addresses; when it was the default, the rule's successor takes over. */
export class DeleteAddress {
  constructor(private readonly store: AccountStore) {}

  async execute(user: AuthUser, addressId: string): Promise<void> {
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
}
