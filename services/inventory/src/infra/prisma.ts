import { PrismaPg } from '@prisma/adapter-pg';
import { prismaPgArgs } from '@sudamall/shared';
import { PrismaClient } from '../generated/prisma/client';

/**
 * Prisma with the pg driver adapter and the JS query compiler (no native engine; see platform
 * notes), its pool and options as every service's (prismaPgArgs): at most `poolSize` connections
 * (DATABASE_POOL_SIZE in the service), statements prepared once per connection.
 */
export function createPrisma(databaseUrl: string, poolSize = 10): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(...prismaPgArgs(databaseUrl, poolSize)) });
}
