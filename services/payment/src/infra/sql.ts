import { createSql, type Sql } from '@sudamall/shared';

/**
 * node-postgres behind the shared runner, for the checkout's statements (payment-sql.ts says why
 * they are raw): its own pool beside Prisma's. A `?schema=` in the URL (Prisma's convention, used
 * by the tests' schemas) becomes the connection's search_path, as createPrisma honours it.
 */
export function createPaymentSql(databaseUrl: string, poolSize = 10): Sql {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema');
  url.searchParams.delete('schema');
  if (schema) url.searchParams.set('options', `-c search_path="${schema.replace(/"/g, '""')}"`);
  return createSql(url.toString(), poolSize);
}
