// The one raw-SQL runner against the real PostgreSQL: named statements on node-postgres, a
// transaction that commits or rolls back as a whole, and the same interface over a Prisma-shaped
// client (what sqlOverPrisma is given in order and payment: a PrismaClient or a transaction's tx).
import { Client } from 'pg';
import { preparedStatementName } from '../../src/db/prepared-statements';
import { createSql, sqlOverPrisma, type PrismaRawClient, type Sql } from '../../src/db/sql-runner';
import { TEST_DATABASE_URL } from '../support/env';

const table = `sql_runner_${Math.random().toString(16).slice(2, 10)}`;
const INSERT = `INSERT INTO ${table} (id, qty) VALUES ($1, $2)`;
const SELECT = `SELECT id, qty FROM ${table} WHERE qty >= $1 ORDER BY id`;
const BUMP = `UPDATE ${table} SET qty = qty + 1 WHERE qty >= $1`;
let sql: Sql;

beforeAll(async () => {
  // One connection, so the prepared statements seen below are the ones the runner used.
  sql = createSql(TEST_DATABASE_URL, 1);
  await sql.execute(`CREATE TABLE ${table} (id text PRIMARY KEY, qty int NOT NULL)`);
});
afterAll(async () => {
  await sql?.execute(`DROP TABLE IF EXISTS ${table}`);
  await sql?.close();
});
beforeEach(() => sql.execute(`TRUNCATE ${table}`));

it('runs a constant as a named statement: rows from query, the touched count from execute', async () => {
  expect(await sql.execute(INSERT, ['a', 1])).toBe(1);
  expect(await sql.execute(INSERT, ['b', 5])).toBe(1);
  expect(await sql.query(SELECT, [2])).toEqual([{ id: 'b', qty: 5 }]);
  expect(await sql.execute(BUMP, [0])).toBe(2);
  const prepared = await sql.query<{ name: string }>('SELECT name FROM pg_prepared_statements WHERE statement = $1', [SELECT]);
  expect(prepared).toEqual([{ name: preparedStatementName(SELECT, 1) }]);
});

it('commits a transaction as a whole, and rolls all of it back when its function throws', async () => {
  await sql.transaction(async (tx) => {
    await tx.execute(INSERT, ['a', 1]);
    // Shared helpers (claimInbox) join through $executeRawUnsafe.
    expect(await tx.$executeRawUnsafe(INSERT, 'b', 2)).toBe(1);
  });
  await expect(
    sql.transaction(async (tx) => {
      await tx.execute(INSERT, ['c', 3]);
      throw new Error('no');
    }),
  ).rejects.toThrow('no');
  expect(await sql.query(SELECT, [0])).toEqual([
    { id: 'a', qty: 1 },
    { id: 'b', qty: 2 },
  ]);
});

it('sqlOverPrisma runs the same constants through $queryRawUnsafe / $executeRawUnsafe, values positional', async () => {
  // The calling convention of Prisma's raw methods (query, ...values), over a real connection.
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  const calls: string[] = [];
  const prismaLike: PrismaRawClient = {
    async $queryRawUnsafe<T>(query: string, ...values: unknown[]) {
      calls.push('query');
      return (await client.query(query, values)).rows as T;
    },
    async $executeRawUnsafe(query: string, ...values: unknown[]) {
      calls.push('execute');
      return (await client.query(query, values)).rowCount ?? 0;
    },
  };
  try {
    const runner = sqlOverPrisma(prismaLike);
    expect(await runner.execute(INSERT, ['a', 7])).toBe(1);
    expect(await runner.$executeRawUnsafe(INSERT, 'b', 1)).toBe(1);
    expect(await runner.query(SELECT, [5])).toEqual([{ id: 'a', qty: 7 }]);
    expect(await runner.execute(BUMP, [0])).toBe(2);
    expect(calls).toEqual(['execute', 'execute', 'query', 'execute']);
  } finally {
    await client.end();
  }
});

it('pipelined: BEGIN rides with the first statement and COMMIT with queryAndCommit; a failure in either rolls everything back', async () => {
  const piped = createSql(TEST_DATABASE_URL, 1, { pipeline: true });
  try {
    expect(
      await piped.transaction(async (tx) => {
        await tx.execute(INSERT, ['a', 1]);
        return tx.queryAndCommit(SELECT, [0]);
      }),
    ).toEqual([{ id: 'a', qty: 1 }]);
    // The last statement fails (duplicate key): its COMMIT finds the transaction aborted.
    await expect(
      piped.transaction(async (tx) => {
        await tx.execute(INSERT, ['b', 2]);
        return tx.queryAndCommit(INSERT, ['a', 9]);
      }),
    ).rejects.toThrow(/duplicate key/);
    await expect(piped.transaction((tx) => tx.execute(INSERT, ['a', 9]))).rejects.toThrow(/duplicate key/);
    // Without queryAndCommit it commits at the end, as unpipelined.
    await piped.transaction((tx) => tx.execute(INSERT, ['c', 3]));
    expect(await piped.query(SELECT, [0])).toEqual([
      { id: 'a', qty: 1 },
      { id: 'c', qty: 3 },
    ]);
  } finally {
    await piped.close();
  }
});
