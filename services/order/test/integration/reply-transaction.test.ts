import { randomUUID } from 'node:crypto';
import type { Sql } from '@sudamall/shared';
import { createHotPathSql } from '../../src/infra/hot-path-sql';
import { startHarness, type Harness } from '../fixtures/harness';

// A saga reply's transaction on its pipelined pool (issue 15): BEGIN rides with the first
// statement and COMMIT with the last, so the last statement must refuse by itself what must not
// commit (order_assert), and a refusal must leave nothing behind, the inbox claim included.

let h: Harness;
let sql: Sql;
beforeAll(async () => {
  h = await startHarness({ kafka: false });
  sql = createHotPathSql(h.c.config.DATABASE_URL, 2);
});
afterAll(async () => {
  await sql?.close();
  await h?.close();
});

const claimed = async (eventId: string) => h.c.db.inboxMessage.count({ where: { eventId } });

it('commits with the last statement', async () => {
  const eventId = randomUUID();
  const rows = await sql.transaction(async (tx) => {
    await tx.execute('INSERT INTO inbox (consumer, event_id) VALUES ($1, $2::uuid)', ['reply-test', eventId]);
    return tx.queryAndCommit<{ ok: boolean }>('SELECT order_assert(true, $1) AS ok', ['fine']);
  });
  expect(rows).toEqual([{ ok: true }]);
  expect(await claimed(eventId)).toBe(1);
});

it('a last statement that refuses rolls the whole transaction back, and the pool goes on', async () => {
  const eventId = randomUUID();
  await expect(
    sql.transaction(async (tx) => {
      await tx.execute('INSERT INTO inbox (consumer, event_id) VALUES ($1, $2::uuid)', ['reply-test', eventId]);
      return tx.queryAndCommit('SELECT order_assert(false, $1) AS ok', ['order x is no longer pending']);
    }),
  ).rejects.toThrow('order x is no longer pending');
  expect(await claimed(eventId)).toBe(0);
  for (let i = 0; i < 3; i++) expect(await sql.transaction((tx) => tx.query<{ one: number }>('SELECT 1 AS one'))).toEqual([{ one: 1 }]);
});

it('a first statement that fails rolls back too', async () => {
  await expect(sql.transaction((tx) => tx.query('SELECT order_assert(false, $1)', ['no']))).rejects.toThrow('no');
  expect(await sql.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
});

it('is bounded as a Prisma transaction was (15 s), in the test schema', async () => {
  const [timeouts] = await sql.query<{ statement: string; idle: string; schema: string }>(
    "SELECT current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle, current_schema() AS schema",
  );
  expect(timeouts).toEqual({ statement: '15s', idle: '15s', schema: new URL(h.c.config.DATABASE_URL).searchParams.get('schema') });
});
