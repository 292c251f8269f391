import { PrismaPg } from '@prisma/adapter-pg';
import { prismaStatementNames } from '@sudamall/shared';
import { PrismaClient } from '../generated/prisma/client';

/**
 * Prisma with the pg driver adapter and the JS query compiler (no native engine; see platform
 * notes); statements prepared once per connection (prismaStatementNames); a pool of `poolSize`
 * connections at most (DATABASE_POOL_SIZE in the service).
 */
export function createPrisma(databaseUrl: string, poolSize = 10): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: poolSize }, { statementNameGenerator: prismaStatementNames }) });
}
