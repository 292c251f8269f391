import { createSql, type Sql } from '@sudamall/shared';

/**
 * node-postgres behind the shared runner, for the checkout's statements (payment-sql.ts says why
 * they are raw): its own pool beside Prisma's, same database and schema (createSql honours the
 * URL's `?schema=`). Pipelined: a transaction's BEGIN leaves with its first statement.
 */
export function createPaymentSql(databaseUrl: string, poolSize: number): Sql {
  return createSql(databaseUrl, poolSize, { pipeline: true });
}
