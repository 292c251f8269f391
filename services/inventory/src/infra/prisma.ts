import { PrismaPg } from '@prisma/adapter-pg';
import { pgConfigFromUrl, prismaStatementNames } from '@sudamall/shared';
import { PrismaClient } from '../generated/prisma/client';

/**
 * Prisma with the pg driver adapter and the JS query compiler (no native engine; see platform
 * notes); statements prepared once per connection (prismaStatementNames); a pool of `poolSize`
 * connections at most (DATABASE_POOL_SIZE in the service). Its connections are configured as every
 * other pool's (pgConfigFromUrl: the planner's settings, a `?schema=` as the search_path, which
 * Prisma also qualifies its queries with), as order's and payment's Prisma are.
 */
export function createPrisma(databaseUrl: string, poolSize = 10): PrismaClient {
  const schema = new URL(databaseUrl).searchParams.get('schema') ?? undefined;
  return new PrismaClient({
    adapter: new PrismaPg({ ...pgConfigFromUrl(databaseUrl), max: poolSize }, { schema, statementNameGenerator: prismaStatementNames }),
  });
}
