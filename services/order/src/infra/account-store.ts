import { sqlOverPrisma } from '@sudamall/shared';
import type { AccountStore, UserAddressTx } from '../app/ports';
import type { Address, AddressFields, ProfileFields } from '../domain/address';
import type { Db } from './prisma';

type AddressRow = Awaited<ReturnType<Db['address']['findFirstOrThrow']>>;

function toAddress(r: AddressRow): Address {
  return {
    address_id: r.id,
    full_name: r.fullName,
    phone: r.phone,
    line1: r.line1,
    line2: r.line2,
    city: r.city,
    region: r.region,
    postal_code: r.postalCode,
    country: r.country,
    is_default: r.isDefault,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

function columns(f: AddressFields) {
  return {
    fullName: f.full_name,
    phone: f.phone,
    line1: f.line1,
    line2: f.line2,
    city: f.city,
    region: f.region,
    postalCode: f.postal_code,
    country: f.country,
  };
}

// A transaction-scoped advisory lock per user, which Prisma cannot express.
const LOCK_USER_ADDRESSES = "SELECT pg_advisory_xact_lock(hashtext('addresses:' || $1::text))";

// The default first, then in the order they were added.
const ORDER = [{ isDefault: 'desc' as const }, { createdAt: 'asc' as const }, { id: 'asc' as const }];

/** user_profiles and addresses (Prisma). */
export class PrismaAccountStore implements AccountStore {
  constructor(private readonly db: Db) {}

  async getProfile(userId: string): Promise<ProfileFields | null> {
    const row = await this.db.userProfile.findUnique({ where: { userId } });
    return row ? { name: row.name, phone: row.phone } : null;
  }

  async saveProfile(userId: string, p: ProfileFields): Promise<void> {
    await this.db.userProfile.upsert({ where: { userId }, create: { userId, ...p }, update: p });
  }

  async listAddresses(userId: string): Promise<Address[]> {
    return (await this.db.address.findMany({ where: { userId }, orderBy: ORDER })).map(toAddress);
  }

  async findAddress(userId: string, addressId: string): Promise<Address | null> {
    const row = await this.db.address.findFirst({ where: { id: addressId, userId } });
    return row ? toAddress(row) : null;
  }

  withUserAddresses<T>(userId: string, work: (tx: UserAddressTx) => Promise<T>): Promise<T> {
    return this.db.$transaction(async (tx) => {
      // One writer per user's address book: the count (first address = default) and the default
      // swap are decided on rows no concurrent call is changing.
      await sqlOverPrisma(tx).execute(LOCK_USER_ADDRESSES, [userId]);
      return work({
        list: async () => (await tx.address.findMany({ where: { userId }, orderBy: ORDER })).map(toAddress),
        insert: async (a) => {
          await tx.address.create({ data: { id: a.address_id, userId, isDefault: a.is_default, ...columns(a) } });
        },
        update: async (addressId, f) => {
          await tx.address.updateMany({ where: { id: addressId, userId }, data: columns(f) });
        },
        makeDefault: async (addressId) => {
          // Old default off before the new one on: the partial unique index allows one at a time.
          await tx.address.updateMany({ where: { userId, isDefault: true, NOT: { id: addressId } }, data: { isDefault: false } });
          await tx.address.updateMany({ where: { id: addressId, userId }, data: { isDefault: true } });
        },
        remove: async (addressId) => {
          await tx.address.deleteMany({ where: { id: addressId, userId } });
        },
      });
    });
  }
}
