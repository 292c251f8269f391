// The cart's database access: node-postgres directly, with the SQL written out. Prisma owns the
// schema and its migrations (prisma/); at run time its raw-query path costs 2.5-3x the latency
// of node-postgres for the same statements on this machine (measured: the cart read statement
// at 32 concurrent callers, pool 10: ~1,250-1,600/s with pg, ~430-610/s through Prisma), and
// every query here is hand-written SQL anyway.
import { preparedStatementName } from '@sudamall/shared';
import { Pool, type PoolClient } from 'pg';

export interface SqlRunner {
  query<R>(text: string, values?: readonly unknown[]): Promise<R[]>;
  /** Returns the number of rows the statement touched. */
  execute(text: string, values?: readonly unknown[]): Promise<number>;
}

/** A transaction's connection; `$executeRawUnsafe` lets shared helpers (claimInbox) join it. */
export interface SqlTx extends SqlRunner {
  $executeRawUnsafe(text: string, ...values: unknown[]): Promise<number>;
}

export interface Sql extends SqlRunner {
  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// Named (prepared) statements: parsed and planned once per connection (see preparedStatementName).
const statement = (text: string, values: readonly unknown[]) => ({ name: preparedStatementName(text, values.length), text, values: values as unknown[] });

function runner(target: Pool | PoolClient): SqlRunner {
  return {
    async query<R>(text: string, values: readonly unknown[] = []) {
      return (await target.query(statement(text, values))).rows as R[];
    },
    async execute(text: string, values: readonly unknown[] = []) {
      return (await target.query(statement(text, values))).rowCount ?? 0;
    },
  };
}

export function createSql(databaseUrl: string, poolSize = 10): Sql {
  const pool = new Pool({ connectionString: databaseUrl, max: poolSize });
  // An idle client's error (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const base = runner(pool);
  return {
    ...base,
    async transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      // A checked-out client that loses its server emits 'error' on itself (not on the pool);
      // unheard, that kills the process. The query in flight rejects as well.
      let broken = false;
      const onError = () => {
        broken = true;
      };
      client.on('error', onError);
      const tx = runner(client);
      const sqlTx: SqlTx = { ...tx, $executeRawUnsafe: (text, ...values) => tx.execute(text, values) };
      try {
        await client.query('BEGIN');
        const result = await fn(sqlTx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
