import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';

export type Db = InstanceType<typeof PrismaClient>;
export type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/** Prisma over node-postgres (driver adapter: no native engine). */
export function createPrisma(databaseUrl: string, poolSize = 10): Db {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: poolSize }) });
}

/**
 * Interactive transaction limits. Prisma's defaults (2 s to get a connection, 5 s to finish) are
 * tight on a busy two-core machine; a consumer whose transaction times out retries the message,
 * so generous limits cost nothing when all is well.
 */
export const TX_OPTIONS = { maxWait: 10_000, timeout: 30_000 } as const;
