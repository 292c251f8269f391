import { PrismaPg } from '@prisma/adapter-pg';
import { prismaStatementNames } from '@sudamall/shared';
import { PrismaClient } from '../generated/prisma/client';

/**
 * Prisma with the pg driver adapter and the JS query compiler (no native engine; see platform
 * notes); statements prepared once per connection (prismaStatementNames).
 */
export function createPrisma(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }, { statementNameGenerator: prismaStatementNames }) });
}
