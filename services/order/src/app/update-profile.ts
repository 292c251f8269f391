import type { AuthUser } from '@sudamall/shared';
import { editedProfile, type ProfileFields } from '../domain/address';
import type { AccountStore } from './ports';

/** Changes only the fields given (domain/address.ts checks them); returns the profile as saved. */
export class UpdateProfile {
  constructor(private readonly store: AccountStore) {}

  async execute(user: AuthUser, patch: Partial<ProfileFields>): Promise<ProfileFields> {
    const current = (await this.store.getProfile(user.id)) ?? { name: '', phone: '' };
    await this.store.saveProfile(user.id, editedProfile(current, patch));
    return (await this.store.getProfile(user.id)) ?? { name: '', phone: '' };
  }
}
