import type { AuthUser } from '@sudamall/shared';
import type { Address } from '../domain/address';
import type { AccountStore } from './ports';

export class ListAddresses {
  constructor(private readonly store: AccountStore) {}

  execute(user: AuthUser): Promise<Address[]> {
    return this.store.listAddresses(user.id);
  }
}
