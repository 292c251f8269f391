import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { withPoolClient } from '../db/pool-client';

export interface RetentionOptions {
  /** Rows older than this are deleted; 0 or less keeps every row (pruning off). */
  retentionMs: number;
  /** Period of the pruning rounds. */
  everyMs: number;
  /** Rows per DELETE statement (and transaction). */
  batchSize: number;
}

/** What one round did: rows deleted, or `busy` when another replica holds the pruning lock. */
export type PruneResult = { deleted: number; batches: number } | 'busy';

/** Which rows a retention prunes: a table every service has, and what makes a row done with. */
export interface RetentionTarget {
  /** The table, for the logs and the advisory lock's key. */
  table: string;
  /** What its prunable rows are, for the round's log line ("<rows> pruned"). */
  rows: string;
  /** Deletes up to $2 rows done with longer than $1 milliseconds ago, oldest first. */
  pruneBatchSql: string;
}

/**
 * The outbox: a row is done with once published. Oldest first through the (published_at, id)
 * index every service's outbox has; `published_at <` is never true of NULL, so unpublished rows
 * (still owed to the bus) cannot match. `id = ANY(ARRAY(...))`, not `id IN (...)`: the planner
 * hash-joins an IN against a sequential scan of the whole table, every batch; the array makes it
 * one primary-key lookup per row. The cutoff is the database's clock, the one that wrote
 * published_at.
 */
export const OUTBOX_ROWS: RetentionTarget = {
  table: 'outbox',
  rows: 'published outbox rows',
  pruneBatchSql: `DELETE FROM outbox WHERE id = ANY(ARRAY(
  SELECT id FROM outbox WHERE published_at < now() - $1::float8 * interval '1 millisecond' ORDER BY published_at LIMIT $2))`,
};

/**
 * The inbox: a row is what makes a redelivered message a duplicate, so it is done with only
 * once the broker can no longer deliver that message again: the retention must outlast the
 * consumed topics' own (config.ts, INBOX_RETENTION_HOURS). Oldest first through the processed_at
 * index every service's inbox has. By `ctid` because the key is two columns: one tuple-id
 * lookup per row, and inbox rows are never updated, so a row's ctid holds for the statement.
 */
export const INBOX_ROWS: RetentionTarget = {
  table: 'inbox',
  rows: 'processed inbox rows',
  pruneBatchSql: `DELETE FROM inbox WHERE ctid = ANY(ARRAY(
  SELECT ctid FROM inbox WHERE processed_at < now() - $1::float8 * interval '1 millisecond' ORDER BY processed_at LIMIT $2))`,
};

// Its own key per table, not the relay's: pruning must neither wait for nor hold up publishing.
const retentionLock = (table: string) => `pg_try_advisory_xact_lock(hashtext('sudamall.${table}-retention:' || current_schema()))`;

// A pause between batches: a first prune of a long-grown table deletes millions of rows, and
// back-to-back DELETEs would saturate the WAL and the disk the checkout path writes to.
const BATCH_PAUSE_MS = 25;

// Not at once (a start after a deploy has its backlog to publish), but not a whole period
// either, so a service restarted more often than every ten minutes still prunes.
const FIRST_ROUND_MAX_DELAY_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Deletes the rows of a messaging table (the outbox, the inbox) done with longer than the
 * retention age ago, on a timer, in bounded batches. Left alone, either table grows by a few rows
 * per checkout forever: the relay's claim walks the outbox's dead index entries between vacuums,
 * and every consumer's insert lands in an inbox key index over random ids that outgrows memory.
 *
 * One replica per schema and table prunes at a time (a transaction-scoped advisory lock, asked for
 * in each batch's transaction); a replica that is not granted it skips the round. Failures are logged
 * and retried next round: pruning is housekeeping and never stops publishing or consuming.
 */
export class RowRetention {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Set by stop(): the round in progress ends after its current batch. */
  private stopping = false;
  /** The round in progress, so a manual round and the timer's never overlap and stop() can wait. */
  private round: Promise<PruneResult> | undefined;
  private readonly lockSql: string;

  constructor(
    private readonly pool: Pool,
    private readonly log: Logger,
    private readonly target: RetentionTarget,
    private readonly opts: RetentionOptions,
  ) {
    const { table } = target;
    if (!Number.isFinite(opts.retentionMs)) throw new Error(`the ${table} retention must be a finite number of milliseconds`);
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new Error(`the ${table} prune batch size must be a positive integer`);
    if (this.enabled && !(Number.isFinite(opts.everyMs) && opts.everyMs > 0)) throw new Error(`the ${table} prune period must be positive`);
    this.lockSql = `SELECT ${retentionLock(table)} AS ok`;
  }

  get enabled(): boolean {
    return this.opts.retentionMs > 0;
  }

  start(): void {
    if (this.running || !this.enabled) return;
    this.running = true;
    this.stopping = false;
    this.schedule(Math.min(this.opts.everyMs, FIRST_ROUND_MAX_DELAY_MS));
  }

  /** Stops the timer; a round in progress ends after its current batch and is waited for. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.round?.catch(() => undefined);
  }

  /**
   * One round now (or the one already in progress): batches until one deletes fewer rows than
   * a batch holds. Rejects on a database error; the timer's rounds log it instead.
   */
  prune(): Promise<PruneResult> {
    if (!this.enabled) return Promise.resolve({ deleted: 0, batches: 0 });
    this.round ??= this.pruneRound().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => void this.timedRound(), delayMs);
    this.timer.unref();
  }

  private async timedRound(): Promise<void> {
    this.timer = undefined;
    try {
      await this.prune();
    } catch (err) {
      this.log.warn({ err, table: this.target.table }, `${this.target.table} prune failed; the next round retries`);
    }
    if (this.running) this.schedule(this.opts.everyMs);
  }

  private async pruneRound(): Promise<PruneResult> {
    const startedAt = Date.now();
    let deleted = 0;
    let batches = 0;
    for (;;) {
      const result = await this.deleteBatch();
      if (result === 'busy') {
        // Another replica took the lock (this round's first batch, or between two batches): the
        // round is its now.
        if (batches === 0) {
          this.log.debug({ table: this.target.table }, `${this.target.table} prune skipped: another replica is pruning`);
          return 'busy';
        }
        break;
      }
      deleted += result;
      batches++;
      if (result < this.opts.batchSize) break;
      if (this.stopping) break;
      await sleep(BATCH_PAUSE_MS);
    }
    if (deleted > 0) {
      const { table } = this.target;
      this.log.info({ table, deleted, batches, elapsed_ms: Date.now() - startedAt, retention_ms: this.opts.retentionMs }, `${this.target.rows} pruned`);
    }
    return { deleted, batches };
  }

  private deleteBatch(): Promise<number | 'busy'> {
    return withPoolClient(this.pool, async ({ client, discard }) => {
      try {
        await client.query('BEGIN');
        const lock = await client.query<{ ok: boolean }>(this.lockSql);
        if (!lock.rows[0]?.ok) {
          await client.query('ROLLBACK');
          return 'busy';
        }
        const { rowCount } = await client.query(this.target.pruneBatchSql, [this.opts.retentionMs, this.opts.batchSize]);
        await client.query('COMMIT');
        return rowCount ?? 0;
      } catch (err) {
        discard();
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }
}
