// The one raw-SQL runner against the real PostgreSQL: named statements on node-postgres, a
// transaction that commits or rolls back as a whole, and the same interface over a Prisma-shaped
// client (what sqlOverPrisma is given in order and payment: a PrismaClient or a transaction's tx).
import { Socket } from 'node:net';
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

it('pipelined: BEGIN leaves with the first statement, COMMIT with the last, and what one tick hands over together, in one socket write each', async () => {
  const piped = createSql(TEST_DATABASE_URL, 1, { pipeline: true });
  // Counts the writes of sockets to the database (each is one write syscall: what costs here).
  const port = Number(new URL(TEST_DATABASE_URL).port || 5432);
  const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (this: Socket, ...args: unknown[]) => unknown>;
  const original = { _write: proto._write, _writev: proto._writev };
  let writes = 0;
  for (const method of ['_write', '_writev'] as const)
    proto[method] = function (this: Socket, ...args: unknown[]) {
      if (this.remotePort === port) writes += 1;
      return original[method].apply(this, args);
    };
  try {
    await piped.execute('SELECT 1'); // connects outside the count
    writes = 0;
    const rows = await piped.transaction(async (tx) => {
      await tx.execute(INSERT, ['a', 1]);
      await tx.execute(INSERT, ['b', 2]);
      return tx.queryAndCommit(SELECT, [0]);
    });
    expect(rows).toHaveLength(2);
    expect(writes).toBe(3);
    // Statements handed over in one tick (a batch's decisions) leave together: BEGIN, both
    // statements, the last one and its COMMIT in ONE write.
    writes = 0;
    const together = await piped.transaction(async (tx) => {
      const [, , last] = await Promise.all([tx.execute(BUMP, [0]), tx.execute(INSERT, ['c', 3]), tx.queryAndCommit(SELECT, [2])]);
      return last;
    });
    expect(together).toEqual([
      { id: 'a', qty: 2 },
      { id: 'b', qty: 3 },
      { id: 'c', qty: 3 },
    ]);
    expect(writes).toBe(1);
    // A transaction that ends without a statement still sends its BEGIN (then COMMIT).
    writes = 0;
    await expect(piped.transaction(async () => 'nothing')).resolves.toBe('nothing');
    expect(writes).toBe(2);
    // fn failing before its first statement: BEGIN is let go, then the ROLLBACK; the connection stays usable.
    await expect(
      piped.transaction(async () => {
        throw new Error('refused before any statement');
      }),
    ).rejects.toThrow('refused');
    expect(await piped.query(SELECT, [3])).toEqual([
      { id: 'b', qty: 3 },
      { id: 'c', qty: 3 },
    ]);
  } finally {
    Object.assign(proto, original);
    await piped.close();
  }
});

it("honours Prisma's ?schema= as the search_path, and server settings, on every connection", async () => {
  const configured = createSql(`${TEST_DATABASE_URL}?schema=tenant_a`, 1, { settings: { statement_timeout: 1234, plan_cache_mode: 'force_generic_plan' } });
  try {
    expect(await configured.query('SHOW search_path')).toEqual([{ search_path: '"tenant_a"' }]);
    expect(await configured.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '1234ms' }]);
    expect(await configured.query('SHOW plan_cache_mode')).toEqual([{ plan_cache_mode: 'force_generic_plan' }]);
    // The planner's page costs, on every connection unless a caller says otherwise (PLANNER_SETTINGS).
    expect(await configured.query('SHOW random_page_cost')).toEqual([{ random_page_cost: '1.1' }]);
  } finally {
    await configured.close();
  }
  const overridden = createSql(TEST_DATABASE_URL, 1, { settings: { random_page_cost: 2 } });
  try {
    expect(await overridden.query('SHOW random_page_cost')).toEqual([{ random_page_cost: '2' }]);
  } finally {
    await overridden.close();
  }
});

it('reads a timestamptz as the same instant whatever the session time zone, to the millisecond', async () => {
  const instant = new Date(Date.UTC(2026, 11, 7, 23, 53, 1, 123));
  for (const zone of ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham']) {
    const zoned = createSql(TEST_DATABASE_URL, 1, { settings: { TimeZone: zone } });
    try {
      const [row] = await zoned.query<{ t: Date; fine: Date; now: Date }>(
        `SELECT $1::timestamptz AS t, '2026-12-07 23:53:01.123999+00'::timestamptz AS fine, now() AS now`,
        [instant],
      );
      expect([zone, row.t]).toEqual([zone, instant]);
      expect([zone, row.fine]).toEqual([zone, instant]);
      expect(Math.abs(row.now.getTime() - Date.now())).toBeLessThan(60_000);
    } finally {
      await zoned.close();
    }
  }
});
