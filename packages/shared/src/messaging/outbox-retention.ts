import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';

export interface OutboxRetentionOptions {
  /** Published rows older than this are deleted; 0 or less keeps every row (pruning off). */
  retentionMs: number;
  /** Period of the pruning rounds. */
  everyMs: number;
  /** Rows per DELETE statement (and transaction). */
  batchSize: number;
}

/** What one round did: rows deleted, or `busy` when another replica holds the pruning lock. */
export type PruneResult = { deleted: number; batches: number } | 'busy';

// Its own key, not the relay's: pruning must neither wait for nor hold up publishing.
const RETENTION_LOCK = "pg_try_advisory_xact_lock(hashtext('sudamall.outbox-retention:' || current_schema()))";

// A pause between batches: a first prune of a long-grown outbox deletes millions of rows, and
// back-to-back DELETEs would saturate the WAL and the disk the checkout path writes to.
const BATCH_PAUSE_MS = 25;

// Not at once (a start after a deploy has its backlog to publish), but not a whole period
// either, so a service restarted more often than every ten minutes still prunes.
const FIRST_ROUND_MAX_DELAY_MS = 30_000;

// Oldest first through the (published_at, id) index every service's outbox has; `published_at <`
// is never true of NULL, so unpublished rows cannot match. `id = ANY(ARRAY(...))`, not
// `id IN (...)`: the planner hash-joins an IN against a sequential scan of the whole table, every
// batch; the array makes it one primary-key lookup per row. The cutoff is the database's clock,
// the one that wrote published_at.
const PRUNE_BATCH_SQL = `DELETE FROM outbox WHERE id = ANY(ARRAY(
  SELECT id FROM outbox WHERE published_at < now() - $1::float8 * interval '1 millisecond' ORDER BY published_at LIMIT $2))`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Deletes outbox rows published longer than the retention age ago, on a timer, in bounded
 * batches. The relay is done with a published row; left alone such rows grow the table by a few
 * rows per checkout forever, and the relay's claim walks their dead index entries between
 * vacuums. A row with `published_at IS NULL` is never deleted, however old: it is still owed to
 * the bus.
 *
 * One replica per schema prunes at a time (a transaction-scoped advisory lock, asked for in each
 * batch's transaction); a replica that is not granted it skips the round. Failures are logged
 * and retried next round: pruning is housekeeping and never stops publishing.
 */
export class OutboxRetention {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Set by stop(): the round in progress ends after its current batch. */
  private stopping = false;
  /** The round in progress, so a manual round and the timer's never overlap and stop() can wait. */
  private round: Promise<PruneResult> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly log: Logger,
    private readonly opts: OutboxRetentionOptions,
  ) {
    if (!Number.isFinite(opts.retentionMs)) throw new Error('the outbox retention must be a finite number of milliseconds');
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new Error('the outbox prune batch size must be a positive integer');
    if (this.enabled && !(Number.isFinite(opts.everyMs) && opts.everyMs > 0)) throw new Error('the outbox prune period must be positive');
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
      this.log.warn({ err }, 'outbox prune failed; the next round retries');
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
          this.log.debug('outbox prune skipped: another replica is pruning');
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
      this.log.info({ deleted, batches, elapsed_ms: Date.now() - startedAt, retention_ms: this.opts.retentionMs }, 'published outbox rows pruned');
    }
    return { deleted, batches };
  }

  private async deleteBatch(): Promise<number | 'busy'> {
    const client: PoolClient = await this.pool.connect();
    let broken = false;
    // A checked-out client that loses its server emits 'error' on itself: without a listener
    // that would be an uncaught exception; the failing query rejects too.
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const lock = await client.query<{ ok: boolean }>(`SELECT ${RETENTION_LOCK} AS ok`);
      if (!lock.rows[0]?.ok) {
        await client.query('ROLLBACK');
        return 'busy';
      }
      const { rowCount } = await client.query(PRUNE_BATCH_SQL, [this.opts.retentionMs, this.opts.batchSize]);
      await client.query('COMMIT');
      return rowCount ?? 0;
    } catch (err) {
      broken = true;
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}
