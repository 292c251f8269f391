// The monorepo's one raw-SQL runner. Prisma owns every schema and migration and is the default
// for queries (docs/architecture.md, "Data access"); raw SQL is written as named constants in a
// service's infra/ and run through this interface, whichever client sits below it:
//   - createSql(url): node-postgres directly, named (prepared) statements — the hot paths that a
//     benchmark showed Prisma's raw-query path to be too slow for (the cart);
//   - sqlOverPrisma(prismaOrTx): the same interface over a Prisma client or interactive
//     transaction, for the queries Prisma's models cannot express (row locks, SKIP LOCKED,
//     multi-write CTEs) in the services whose data access is otherwise Prisma.
import { Pool, type PoolClient } from 'pg';
import { pgConfigFromUrl, type ServerSettings } from './pg-config';
import { SQL_TYPES } from './pg-timestamps';
import { withPoolClient } from './pool-client';
import { preparedStatementName } from './prepared-statements';

export interface SqlRunner {
  query<R>(text: string, values?: readonly unknown[]): Promise<R[]>;
  /** Returns the number of rows the statement touched. */
  execute(text: string, values?: readonly unknown[]): Promise<number>;
}

/** A transaction's connection; `$executeRawUnsafe` lets shared helpers (claimInbox) join it. */
export interface SqlTx extends SqlRunner {
  $executeRawUnsafe(text: string, ...values: unknown[]): Promise<number>;
}

/** A createSql transaction's connection: its last statement may carry the COMMIT with it. */
export interface SqlTxCommitting extends SqlTx {
  /**
   * Runs the transaction's LAST statement and commits: on a pipelined pool (createSql's
   * `pipeline`) both go out in one round trip. The statement's own failure rejects (the server
   * then answers the COMMIT with a rollback), so it must itself refuse what must not commit.
   */
  queryAndCommit<R>(text: string, values?: readonly unknown[]): Promise<R[]>;
}

export interface Sql extends SqlRunner {
  transaction<T>(fn: (tx: SqlTxCommitting) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// Named (prepared) statements: parsed and planned once per connection (see preparedStatementName).
const statement = (text: string, values: readonly unknown[]) => ({ name: preparedStatementName(text, values.length), text, values: values as unknown[] });

/**
 * `hold` runs before a statement is handed to the client, `afterSubmit` once it is (pipelined:
 * written, or held in the socket).
 */
function runner(target: Pool | PoolClient, hooks: { hold?: () => void; afterSubmit?: () => void } = {}): SqlRunner {
  const submit = (text: string, values: readonly unknown[]) => {
    hooks.hold?.();
    const pending = target.query(statement(text, values));
    hooks.afterSubmit?.();
    return pending;
  };
  return {
    async query<R>(text: string, values: readonly unknown[] = []) {
      return (await submit(text, values)).rows as R[];
    },
    async execute(text: string, values: readonly unknown[] = []) {
      return (await submit(text, values)).rowCount ?? 0;
    },
  };
}

export interface SqlOptions {
  /**
   * Send a statement without waiting for the one before to finish (node-postgres's pipeline
   * mode). In a transaction, what is handed over in one tick leaves in one socket write: BEGIN
   * with the first statement, queryAndCommit's COMMIT with its last, and statements sent
   * together (a batch's decisions) with each other.
   */
  pipeline?: boolean;
  /** Server settings for every connection (statement_timeout, plan_cache_mode, ...). */
  settings?: ServerSettings;
}

/** What holds a connection's writes back: node-postgres's socket (a net.Socket). */
interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * The socket under a checked-out client. node-postgres corks it itself around one statement's
 * messages; corked around several statements, they leave in one write. A loopback write costs
 * ~0.1 ms of CPU on these machines (the receiver's network stack runs in the sender's syscall),
 * more than the statements' own client-side work.
 */
function socketOf(client: PoolClient): Corkable | undefined {
  const stream = (client as unknown as { connection?: { stream?: Partial<Corkable> } }).connection?.stream;
  return typeof stream?.cork === 'function' && typeof stream.uncork === 'function' ? (stream as Corkable) : undefined;
}

/**
 * A node-postgres pool behind the runner; transaction() checks one connection out for `fn`.
 * `databaseUrl` may carry Prisma's `?schema=` (the connections' search_path, pgConfigFromUrl).
 */
export function createSql(databaseUrl: string, poolSize = 10, opts: SqlOptions = {}): Sql {
  const pipeline = opts.pipeline === true;
  const pool = new Pool({ ...pgConfigFromUrl(databaseUrl, opts.settings), types: SQL_TYPES, max: poolSize, ...(pipeline ? { pipeline: true } : {}) });
  // An idle client's error (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const base = runner(pool);
  // One transaction on a lent client: BEGIN, fn's statements, COMMIT (or ROLLBACK when fn throws).
  const runTransaction = async <T>(client: PoolClient, fn: (tx: SqlTxCommitting) => Promise<T>): Promise<T> => {
    // Pipelined, the socket is held (corked) from BEGIN, and again from any later statement,
    // until the end of the tick in which it was handed over: whatever fn hands over meanwhile
    // leaves in the same write. Nothing waits on the release: a statement's answer needs its
    // write, and the tick ends before any answer can be read.
    const socket = pipeline ? socketOf(client) : undefined;
    let held = false;
    let releaseQueued = false;
    const hold = () => {
      if (!socket || held) return;
      held = true;
      socket.cork();
    };
    const release = () => {
      releaseQueued = false;
      if (!held) return;
      held = false;
      socket?.uncork();
    };
    const releaseAtTickEnd = () => {
      if (!held || releaseQueued) return;
      releaseQueued = true;
      process.nextTick(release);
    };
    hold();
    const tx = runner(client, { hold, afterSubmit: releaseAtTickEnd });
    let committed = false;
    const sqlTx: SqlTxCommitting = {
      ...tx,
      $executeRawUnsafe: (text, ...values) => tx.execute(text, values),
      async queryAndCommit<R>(text: string, values: readonly unknown[] = []) {
        // Pipelined, both are written (in one write) before either answers; the COMMIT's outcome is awaited too.
        hold();
        const last = client.query(statement(text, values));
        const commit = client.query('COMMIT');
        releaseAtTickEnd();
        const [rows] = await Promise.all([last.then((r) => r.rows as R[]), commit]);
        committed = true;
        return rows;
      },
    };
    try {
      // Pipelined, BEGIN is not awaited alone: it goes out with fn's first statement, which
      // fails too if it does (and it is awaited before anything commits).
      const begun = client.query('BEGIN');
      if (!pipeline) await begun;
      begun.catch(() => undefined);
      const result = await fn(sqlTx);
      release();
      await begun;
      if (!committed) await client.query('COMMIT');
      return result;
    } catch (err) {
      release();
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  };
  return {
    ...base,
    transaction<T>(fn: (tx: SqlTxCommitting) => Promise<T>): Promise<T> {
      return withPoolClient(pool, ({ client }) => runTransaction(client, fn));
    },
    close: () => pool.end(),
  };
}

/**
 * What sqlOverPrisma needs of a Prisma client or of the `tx` of `$transaction(async (tx) => ...)`:
 * structural, so packages/shared does not depend on any service's generated client.
 */
export interface PrismaRawClient {
  // Prisma's own signatures take `any[]` values.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- because it restates Prisma's signature, so every generated client fits
  $queryRawUnsafe<T = unknown>(query: string, ...values: any[]): PromiseLike<T>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- because it restates Prisma's signature, so every generated client fits
  $executeRawUnsafe(query: string, ...values: any[]): PromiseLike<number>;
}

/**
 * The runner over Prisma: inside a Prisma transaction pass its `tx`, and the statements join it.
 * Prisma prepares statements itself (createPrisma's statementNameGenerator in the services:
 * prismaStatementNames), so the same constants are named statements on both paths.
 */
export function sqlOverPrisma(client: PrismaRawClient): SqlTx {
  return {
    query: async <R>(text: string, values: readonly unknown[] = []) => client.$queryRawUnsafe<R[]>(text, ...values),
    execute: async (text: string, values: readonly unknown[] = []) => client.$executeRawUnsafe(text, ...values),
    $executeRawUnsafe: async (text: string, ...values: unknown[]) => client.$executeRawUnsafe(text, ...values),
  };
}
