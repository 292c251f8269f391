import { addressNotFound, addressSnapshot, formatAddress, type AddressSnapshot } from '../domain/address';
import { isUuid } from '../domain/errors';
import type { AccountStore, AddressLookup } from './ports';

/** Place-order's address_id: the user's own saved address as text and snapshot, else 404 (another user's included). */
export class ResolveAddress implements AddressLookup {
  constructor(private readonly store: AccountStore) {}

  async execute(userId: string, addressId: string): Promise<{ text: string; snapshot: AddressSnapshot }> {
    const a = isUuid(addressId) ? await this.store.findAddress(userId, addressId) : null;
    if (!a) throw addressNotFound(addressId);
    return { text: formatAddress(a), snapshot: addressSnapshot(a) };
  }
}
