import type { AuthUser } from '@sudamall/shared';
import type { ProfileFields } from '../domain/address';
import type { AccountStore } from './ports';

/** What the platform keeps of the user (name, phone); empty until first saved. The token says the rest. */
export class GetProfile {
  constructor(private readonly store: AccountStore) {}

  async execute(user: AuthUser): Promise<ProfileFields> {
    return (await this.store.getProfile(user.id)) ?? { name: '', phone: '' };
  }
}
