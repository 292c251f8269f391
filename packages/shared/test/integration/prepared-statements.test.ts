// Named statements against the real PostgreSQL: a statement named by preparedStatementName is
// prepared on the connection once and reused; what must stay unnamed is never prepared.
import { Client } from 'pg';
import { preparedStatementName, prismaStatementNames } from '../../src/db/prepared-statements';
import { TEST_DATABASE_URL } from '../support/env';
import type * as PreparedStatements from '../../src/db/prepared-statements';

let client: Client;
beforeAll(async () => {
  client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
});

const prepared = async () => (await client.query<{ name: string; statement: string }>('SELECT name, statement FROM pg_prepared_statements ORDER BY name')).rows;

it('prepares a named statement once per connection and runs it again by name', async () => {
  const text = 'SELECT $1::int + $2::int AS sum /* prepared-statements test */';
  const name = preparedStatementName(text, 2);
  expect(name).toMatch(/^s_[0-9a-f]{20}$/);
  for (const [a, b] of [
    [1, 2],
    [3, 4],
    [5, 6],
  ]) {
    const { rows } = await client.query({ name, text, values: [a, b] });
    expect(rows).toEqual([{ sum: a + b }]);
  }
  expect((await prepared()).filter((s) => s.statement === text)).toEqual([{ name, statement: text }]);
});

it('a statement first prepared inside a transaction that rolls back is still there afterwards', async () => {
  const text = 'SELECT $1::int * 2 AS twice /* prepared in a rolled-back transaction */';
  const name = preparedStatementName(text, 1);
  await client.query('BEGIN');
  expect((await client.query({ name, text, values: [2] })).rows).toEqual([{ twice: 4 }]);
  await client.query('ROLLBACK');
  // node-postgres now sends only Bind/Execute for this name: the server must still know it.
  expect((await client.query({ name, text, values: [3] })).rows).toEqual([{ twice: 6 }]);
  // A failed transaction does not lose it either.
  await client.query('BEGIN');
  await expect(client.query('SELECT 1/0')).rejects.toThrow(/division by zero/);
  await client.query('ROLLBACK');
  expect((await client.query({ name, text, values: [4] })).rows).toEqual([{ twice: 8 }]);
});

it('leaves unnamed what would make a connection hold unboundedly many statements', async () => {
  const before = await prepared();
  const many = Array.from({ length: 40 }, (_, i) => `$${i + 1}::int`);
  const inList = `SELECT 1 WHERE 1 IN (${many.join(', ')})`;
  expect(preparedStatementName(inList, 40)).toBeUndefined();
  await client.query({ name: preparedStatementName(inList, 40), text: inList, values: many.map((_, i) => i) });
  expect(preparedStatementName('SELECT 1; SELECT 2', 0)).toBeUndefined();
  expect(await prepared()).toEqual(before);
});

it('names by text: one text, one name; another text, another name', () => {
  const a = preparedStatementName('SELECT $1::text', 1);
  expect(preparedStatementName('SELECT $1::text', 1)).toBe(a);
  expect(preparedStatementName('SELECT $1::text AS other', 1)).not.toBe(a);
  expect(prismaStatementNames({ sql: 'SELECT $1::text', args: ['x'] })).toBe(a);
});

it('stops naming new texts once 256 have been named in the process', () => {
  jest.isolateModules(() => {
    // A fresh copy of the module: its count of named texts starts at zero.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- because jest.isolateModules hands out its fresh copy only to require()
    const fresh = require('../../src/db/prepared-statements') as typeof PreparedStatements;
    for (let i = 0; i < 256; i++) expect(fresh.preparedStatementName(`SELECT ${i}`, 0)).toBeDefined();
    expect(fresh.preparedStatementName('SELECT 256', 0)).toBeUndefined();
    expect(fresh.preparedStatementName('SELECT 0', 0)).toBeDefined(); // already named: still named
  });
});
