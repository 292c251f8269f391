#!/usr/bin/env node
// PostgreSQL's statement execution time per checkout, by service database and statement, for a few
// seconds (not a test: a diagnostic to run beside `npm run bench -- order`, as socket-writes.js).
// PostgreSQL is the largest single CPU user of a checkout; this says which statements its time goes
// to, and how much of it is statement execution at all (the rest: commits and the WAL, the
// protocol, parse and bind, the background processes). Beside them, what a checkout costs the
// WAL (records, full-page images, bytes), the transactions and rows written in each service
// database, and the checkpoints the window saw (the whole cluster's counters: run it on a
// machine where only the benchmark writes).
//
//   node bench/order/pg-statements.js [seconds=15] [top=25] [--checkpoint]
// --checkpoint: a CHECKPOINT first, so the window holds what follows one (the first change of each
// page after it writes the whole page to the WAL); compare with a window without.
//
// Needs the pg_stat_statements module loaded, which takes a PostgreSQL restart (the benchmark's
// services reconnect, so start it before the bench):
//   psql -d postgres -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
//   pg_ctlcluster --skip-systemctl-redirect 15 main restart
// and to undo: ALTER SYSTEM RESET shared_preload_libraries, and the restart again. The extension's
// view is created in the `postgres` database only, never in a service's. The module costs
// PostgreSQL a few percent: compare statements with each other, not the run's rate with another's.
'use strict';
const { Client } = require('pg');
const { ProcessGroups, pidsMatching } = require('./process-stats');

/** CPU ms of every PostgreSQL process (backends, WAL writer, checkpointer, autovacuum) so far: the checkout bench's own reading. */
const postgres = new ProcessGroups({ postgres: () => pidsMatching(/^postgres/) });
const postgresCpuMs = () => postgres.cpu().postgres;

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const seconds = Number(args[0] ?? 15);
const top = Number(args[1] ?? 25);
const checkpointFirst = process.argv.includes('--checkpoint');
const base = process.env.SUDAMALL_PG_BASE_URL ?? 'postgresql://sudamall:sudamall@127.0.0.1:5432';
const BENCH_DATABASES = ['inventory', 'cart', 'order', 'payment'].map((s) => `${s}_checkout_bench`);

async function connect(db) {
  const c = new Client({ connectionString: `${base}/${db}` });
  await c.connect();
  return c;
}

/** Checkouts placed since `since`, as the order database records them. */
async function ordersSince(since) {
  const c = await connect('order_checkout_bench');
  try {
    const { rows } = await c.query('SELECT count(*)::int AS n FROM orders WHERE created_at >= $1', [since]);
    return rows[0].n;
  } finally {
    await c.end();
  }
}

/**
 * The cluster's cumulative counters: the WAL written, checkpoints, buffers the backends had to
 * write themselves (shared_buffers full of dirty pages), and each bench database's transactions
 * and rows. Backends report theirs at most once a second, so a window's edges blur by that much.
 */
async function counters(admin) {
  // One client answers one query at a time: these run in turn.
  const wal = await admin.query('SELECT wal_records::float8 AS records, wal_fpi::float8 AS fpi, wal_bytes::float8 AS bytes FROM pg_stat_wal');
  const bgwriter = await admin.query(
    'SELECT checkpoints_timed::int AS timed, checkpoints_req::int AS requested, buffers_backend::float8 AS backend_writes FROM pg_stat_bgwriter',
  );
  const dbs = await admin.query(
    `SELECT datname AS db, xact_commit::float8 AS commits, xact_rollback::float8 AS rollbacks,
            tup_inserted::float8 AS inserted, tup_updated::float8 AS updated, tup_deleted::float8 AS deleted
       FROM pg_stat_database WHERE datname = ANY($1)`,
    [BENCH_DATABASES],
  );
  const tables = new Map();
  for (const db of BENCH_DATABASES) {
    const c = await connect(db).catch(() => undefined);
    if (!c) continue;
    try {
      const { rows } = await c.query(
        `SELECT relname AS name, n_tup_ins::float8 AS inserted, n_tup_upd::float8 AS updated, n_tup_hot_upd::float8 AS hot, n_tup_del::float8 AS deleted
           FROM pg_stat_user_tables`,
      );
      for (const r of rows) tables.set(`${db.replace('_checkout_bench', '')}.${r.name}`, r);
    } finally {
      await c.end();
    }
  }
  return { wal: wal.rows[0], bgwriter: bgwriter.rows[0], dbs: new Map(dbs.rows.map((r) => [r.db, r])), tables };
}

function printCounters(before, after, checkouts) {
  const per = (a, b) => ((a - b) / checkouts).toFixed(1);
  const w = (k) => after.wal[k] - before.wal[k];
  console.log(
    `WAL per checkout: ${per(after.wal.records, before.wal.records)} records, ${per(after.wal.fpi, before.wal.fpi)} full-page images, ` +
      `${(w('bytes') / checkouts / 1024).toFixed(1)} kB (full-page images are written for a page's first change after a checkpoint)`,
  );
  console.log(
    `checkpoints in the window: ${after.bgwriter.timed - before.bgwriter.timed} timed, ${after.bgwriter.requested - before.bgwriter.requested} requested (the WAL reached max_wal_size); ` +
      `buffers written by backends themselves: ${per(after.bgwriter.backend_writes, before.bgwriter.backend_writes)} per checkout`,
  );
  console.log('per checkout, by service database: commits, rollbacks, rows inserted / updated / deleted');
  for (const [db, a] of after.dbs) {
    const b = before.dbs.get(db);
    if (!b) continue;
    console.log(
      `  ${db.padEnd(24)} ${per(a.commits, b.commits).padStart(5)} ${per(a.rollbacks, b.rollbacks).padStart(5)}   ${per(a.inserted, b.inserted)} / ${per(a.updated, b.updated)} / ${per(a.deleted, b.deleted)}`,
    );
  }
  // Every row version written costs the WAL and the indexes it enters; a HOT update enters none.
  const written = [...after.tables]
    .map(([name, a]) => {
      const b = before.tables.get(name) ?? { inserted: 0, updated: 0, hot: 0, deleted: 0 };
      return { name, inserted: a.inserted - b.inserted, updated: a.updated - b.updated, hot: a.hot - b.hot, deleted: a.deleted - b.deleted };
    })
    .filter((t) => t.inserted + t.updated + t.deleted > 0)
    .sort((x, y) => y.inserted + y.updated + y.deleted - (x.inserted + x.updated + x.deleted));
  console.log('per checkout, by table: rows inserted / updated (of which HOT) / deleted');
  for (const t of written) {
    const f = (n) => (n / checkouts).toFixed(2);
    console.log(`  ${t.name.padEnd(34)} ${f(t.inserted)} / ${f(t.updated)} (${f(t.hot)}) / ${f(t.deleted)}`);
  }
}

const oneLine = (sql) =>
  sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

async function main() {
  const admin = await connect('postgres');
  const { rows: loaded } = await admin.query("SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries'");
  if (!String(loaded[0]?.setting).includes('pg_stat_statements')) {
    console.error('pg_stat_statements is not loaded: see the top of this file (one ALTER SYSTEM and a PostgreSQL restart)');
    process.exit(1);
  }
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const { rows: present } = await admin.query('SELECT datname FROM pg_database WHERE datname = ANY($1)', [BENCH_DATABASES]);
  if (!present.some((r) => r.datname === 'order_checkout_bench')) {
    console.error('no checkout benchmark running (order_checkout_bench): start `npm run bench -- order` first');
    process.exit(1);
  }

  if (checkpointFirst) await admin.query('CHECKPOINT');
  const before = await counters(admin);
  const cpuBefore = postgresCpuMs();
  const { rows: started } = await admin.query('SELECT pg_stat_statements_reset(), now() AS at');
  process.stdout.write(`pg-statements: ${seconds} s beside the running checkout benchmark ...\n`);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = postgresCpuMs() - cpuBefore;
  const after = await counters(admin);
  const { rows } = await admin.query(
    `SELECT d.datname AS db, s.calls::int, s.total_exec_time AS ms, s.rows::int, s.query
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
      WHERE d.datname = ANY($1)
      ORDER BY s.total_exec_time DESC`,
    [BENCH_DATABASES],
  );
  await admin.end();
  // Counted last (by creation time, so the window is the same): its scan of every order stays out
  // of the statements and the CPU read above.
  const checkouts = await ordersSince(started[0].at);
  if (checkouts === 0) {
    console.error('no checkout placed in the window');
    process.exit(1);
  }

  const perCheckout = (ms) => (ms / checkouts).toFixed(3);
  const byDb = new Map();
  for (const r of rows) byDb.set(r.db, (byDb.get(r.db) ?? 0) + r.ms);
  const total = [...byDb.values()].reduce((a, b) => a + b, 0);
  console.log(`\n${checkouts} checkouts placed in the window; statement execution, ms per checkout:`);
  for (const [db, ms] of [...byDb].sort((a, b) => b[1] - a[1])) console.log(`  ${db.padEnd(24)} ${perCheckout(ms)}`);
  console.log(`  ${'all'.padEnd(24)} ${perCheckout(total)}  (compare with the bench's "postgres" CPU per checkout)`);
  console.log(
    `PostgreSQL CPU per checkout: ${(cpu / checkouts).toFixed(2)} ms (every postgres process; backends that ended in the window take theirs with them)` +
      (checkpointFirst ? ', the window starting at a CHECKPOINT' : ''),
  );
  printCounters(before, after, checkouts);
  console.log(`\ntop ${top} statements by execution time (ms per checkout, calls per checkout, µs per call):`);
  for (const r of rows.slice(0, top)) {
    const service = r.db.replace('_checkout_bench', '');
    console.log(
      `  ${perCheckout(r.ms).padStart(6)}  ${(r.calls / checkouts).toFixed(2).padStart(5)}  ${String(Math.round((r.ms / r.calls) * 1000)).padStart(5)}  ${service.padEnd(9)} ${oneLine(r.query).slice(0, 110)}`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
