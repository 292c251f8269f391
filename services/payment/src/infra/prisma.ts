import { PrismaPg } from '@prisma/adapter-pg';
import { prismaPgArgs } from '@sudamall/shared';
import { PrismaClient } from '../generated/prisma/client';

export type Db = InstanceType<typeof PrismaClient>;

/**
 * Prisma over node-postgres (driver adapter: no native engine). A `?schema=` in the URL is
 * honoured both by Prisma's generated queries and, through the search_path, by the service's
 * raw SQL (row locks, inbox), so a deployment or a test file can live in its own schema.
 * Statements are prepared once per connection (prismaStatementNames), not parsed and planned on
 * every call.
 */
export function createPrisma(databaseUrl: string, poolSize: number): Db {
  return new PrismaClient({ adapter: new PrismaPg(...prismaPgArgs(databaseUrl, poolSize)) });
}
