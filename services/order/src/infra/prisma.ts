import { PrismaPg } from '@prisma/adapter-pg';
import { prismaPgArgs } from '@sudamall/shared';
import { PrismaClient } from '../generated/prisma/client';

export type Db = InstanceType<typeof PrismaClient>;

/**
 * Prisma with the pg driver adapter (no native engine; see prisma.config.ts). A `?schema=name`
 * in the URL selects a PostgreSQL schema (tests isolate themselves that way): Prisma qualifies its
 * queries with it and the search_path covers raw SQL. Statements are prepared once per
 * connection (prismaStatementNames), not parsed and planned on every call.
 */
export function createPrisma(databaseUrl: string, max: number): Db {
  return new PrismaClient({ adapter: new PrismaPg(...prismaPgArgs(databaseUrl, max)) });
}
