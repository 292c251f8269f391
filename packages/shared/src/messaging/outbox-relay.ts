import { Client, Pool } from 'pg';
import { pgConfigFromUrl } from '../db/pg-config';
import { withPoolClient, type LentClient } from '../db/pool-client';
import type { Logger } from 'pino';
import { topicName, type TopicName } from './contracts';
import type { Envelope } from './envelope';
import { OUTBOX_ROWS, RowRetention, type PruneResult } from './retention';

/** What the relay needs from a bus (KafkaBus satisfies it; tests may pass another). */
export interface EnvelopePublisher {
  publish(topic: string, envelopes: ReadonlyArray<Envelope>): Promise<void>;
  /**
   * Several topics' envelopes in one request, when the bus can (KafkaBus): a batch of a checkout
   * step usually holds a command and an event, and every request is broker and socket work.
   */
  publishTopics?(batches: ReadonlyArray<{ topic: string; envelopes: ReadonlyArray<Envelope> }>): Promise<void>;
}

export interface OutboxRelayOptions {
  /** The service's DATABASE_URL. A `?schema=name` parameter (Prisma's) sets the search_path. */
  databaseUrl: string;
  bus: EnvelopePublisher;
  logger: Logger;
  /** KAFKA_TOPIC_PREFIX; rows hold unprefixed topics. */
  topicPrefix?: string;
  /**
   * Safety-net poll, only when nothing woke the relay for this long. NOTIFY reaches every listener
   * at commit and a LISTEN that reconnects drains at once, so this is a backstop. Default 1000 ms.
   */
  pollMs?: number;
  /** Rows per transaction. Default 200. */
  batchSize?: number;
  /** Upper bound of the delay between retries after a failure. Default 5000 ms. */
  maxBackoffMs?: number;
  /**
   * Published rows older than this are deleted (OUTBOX_RETENTION_HOURS); 0 or less keeps them
   * all. Default 24 hours.
   */
  retentionMs?: number;
  /** Period of the pruning rounds (the first runs sooner after start). Default 10 minutes. */
  pruneEveryMs?: number;
  /** Rows per pruning DELETE. Default 5000. */
  pruneBatchSize?: number;
}

interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  type: string;
  payload: Envelope;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const RELAY_LOCK = "pg_try_advisory_xact_lock(hashtext('sudamall.outbox-relay:' || current_schema()))";

/**
 * BEGIN, the relay's lock and the claim in one round trip (a parameterless multi-statement query:
 * pg answers one result per statement; the batch size is a checked integer, inlined). The claim
 * takes rows only under the lock (an InitPlan, evaluated once, gates the scan); asking for the
 * lock again in the same transaction is granted to its holder, so the lock's own result says
 * whether this relay holds it. The relay runs several times per checkout in every service: each
 * round trip saved is a visible share of the platform's database and socket work.
 *
 * The claim walks the pending rows through the (published_at, id) index in id order, never a
 * bitmap or sequential scan (SET LOCAL: this transaction only). Every mark leaves a dead row
 * version whose index entry still reads "pending" until a vacuum. A plain index scan flags each
 * such entry dead as it passes, so the next claim skips it without visiting the heap; a bitmap
 * scan never flags any. Under the checkout benchmark the planner chose the bitmap scan for
 * inventory's outbox (a young table's estimates): each claim then revisited every row marked since
 * the last vacuum (5,572 entries, 457 heap pages, ~2 ms a claim), the costliest statement of a
 * checkout (bench/order/pg-statements.js). Exported for the test that explains its plan.
 */
export function beginAndClaimSql(batchSize: number): string {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('the outbox batch size must be a positive integer');
  // ORDER BY the index's own columns (published_at is NULL in every row claimed: the order is
  // id's), so that index is the only one that yields the order without a sort: by id alone, the
  // primary key's would too, filtering every published row it passed. And the table's `id`: a
  // bare `id` would sort by the text alias ("10" < "2").
  return `BEGIN; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off; SELECT ${RELAY_LOCK} AS ok;
    SELECT o.id::text AS id, o.topic, o.key, o.type, o.payload FROM outbox o
    WHERE (SELECT ${RELAY_LOCK}) AND o.published_at IS NULL ORDER BY o.published_at, o.id LIMIT ${batchSize} FOR UPDATE SKIP LOCKED`;
}

/** What pg answers beginAndClaimSql: one result per statement. */
type ClaimResults = [begin: unknown, noBitmapScan: unknown, noSeqScan: unknown, lock: { rows: Array<{ ok: boolean }> }, claim: { rows: OutboxRow[] }];

/** Result of one claim-publish-mark transaction: rows published, or `busy` if another relay holds the lock. */
type BatchResult = number | 'busy';

/**
 * Publishes the outbox. One transaction per batch: claim unpublished rows in id order,
 * publish them, mark them published, commit. A failed publish rolls back, so the rows stay
 * pending and are retried with backoff (consumers dedupe with the inbox, so a row published
 * twice after a crash between publish and commit is harmless).
 *
 * Only one relay per database schema publishes at a time (a transaction-scoped advisory
 * lock), so two replicas cannot reorder one order's messages; the row lock with SKIP LOCKED
 * keeps even a misconfigured second publisher from taking the same rows.
 */
export class OutboxRelay {
  private readonly pool: Pool;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly maxBackoffMs: number;
  private readonly prefix: string;
  private readonly log: Logger;
  private listener: Client | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  private wanted = false;
  private loop: Promise<void> = Promise.resolve();
  /** Serialises batches between the background loop and flush(). */
  private mutex: Promise<unknown> = Promise.resolve();
  private failures = 0;
  /** When a batch last started: the poll only runs when nothing else woke the relay for pollMs. */
  private lastBatchAt = 0;
  private readonly claimSql: string;
  private readonly retention: RowRetention;

  constructor(private readonly opts: OutboxRelayOptions) {
    this.pool = new Pool({ ...pgConfigFromUrl(opts.databaseUrl), max: 2, idleTimeoutMillis: 30000 });
    this.pool.on('error', (err) => this.log.warn({ err }, 'outbox relay pool client error'));
    this.pollMs = opts.pollMs ?? 1000;
    this.batchSize = opts.batchSize ?? 200;
    this.claimSql = beginAndClaimSql(this.batchSize);
    this.maxBackoffMs = opts.maxBackoffMs ?? 5000;
    this.prefix = opts.topicPrefix ?? '';
    this.log = opts.logger.child({ component: 'outbox-relay' });
    this.retention = new RowRetention(this.pool, this.log, OUTBOX_ROWS, {
      retentionMs: opts.retentionMs ?? 24 * 3_600_000,
      everyMs: opts.pruneEveryMs ?? 10 * 60_000,
      batchSize: opts.pruneBatchSize ?? 5000,
    });
  }

  /** Starts listening and polling; returns once LISTEN is set up (or has failed and will retry). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.stopped = false;
    await this.listen();
    this.pollTimer = setInterval(() => {
      if (Date.now() - this.lastBatchAt >= this.pollMs) this.wake();
    }, this.pollMs);
    this.pollTimer.unref();
    this.retention.start();
    this.wake();
  }

  /** Publishes everything pending now; resolves when the outbox is empty (rejects after timeoutMs). */
  async flush(timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let delay = 50;
    for (;;) {
      let result: BatchResult;
      try {
        result = await this.serial(() => this.publishBatch());
      } catch (err) {
        if (Date.now() + delay > deadline) throw err;
        await sleep(delay);
        delay = Math.min(delay * 2, this.maxBackoffMs);
        continue;
      }
      if (result === 0) return;
      if (result === 'busy') {
        if (Date.now() > deadline) throw new Error('outbox flush timed out: another relay holds the outbox');
        await sleep(20);
      }
    }
  }

  /** Unpublished rows (for metrics and readiness). */
  async pendingCount(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL');
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Deletes the published rows older than the retention age now (the timer does it every
   * pruneEveryMs); `busy` when another replica is pruning. Rejects on a database error.
   */
  prune(): Promise<PruneResult> {
    return this.retention.prune();
  }

  /** Stops the loop and the pruning, publishes what is pending (bounded), closes its connections. */
  async stop(flushTimeoutMs = 5000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.running = false;
    if (this.pollTimer) clearInterval(this.pollTimer);
    await Promise.all([this.loop, this.retention.stop()]);
    try {
      await this.flush(flushTimeoutMs);
    } catch (err) {
      this.log.warn({ err }, 'outbox not fully published at shutdown; the next start publishes the rest');
    }
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.pool.end();
  }

  private wake(): void {
    this.wanted = true;
    if (this.loopActive || !this.running) return;
    this.loopActive = true;
    this.loop = this.drainLoop().finally(() => {
      this.loopActive = false;
    });
  }
  private loopActive = false;

  private async drainLoop(): Promise<void> {
    while (this.wanted && this.running) {
      this.wanted = false;
      try {
        let result: BatchResult;
        do {
          result = await this.serial(() => this.publishBatch());
        } while (typeof result === 'number' && result >= this.batchSize && this.running);
        this.failures = 0;
      } catch (err) {
        this.failures++;
        const delay = Math.min(this.maxBackoffMs, 100 * 2 ** Math.min(this.failures - 1, 10));
        this.log.error({ err, attempt: this.failures, retry_in_ms: delay }, 'outbox publish failed; rows stay pending');
        await sleep(delay);
        this.wanted = true;
      }
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.mutex.then(fn, fn);
    this.mutex = run.catch(() => undefined);
    return run;
  }

  private publishBatch(): Promise<BatchResult> {
    // A connection lost mid-batch (PostgreSQL restarted) is logged here; its statement rejects too.
    const onLost = (err: Error) => this.log.warn({ err }, 'outbox relay connection lost');
    return withPoolClient(this.pool, (lent) => this.publishBatchOn(lent), onLost);
  }

  private async publishBatchOn({ client, discard }: LentClient): Promise<BatchResult> {
    let rolledBack = false;
    try {
      this.lastBatchAt = Date.now();
      const [, , , lock, claim] = (await client.query(this.claimSql)) as unknown as ClaimResults;
      const rows = claim.rows;
      if (rows.length === 0) {
        await client.query('COMMIT');
        return lock.rows[0]?.ok ? 0 : 'busy';
      }
      const byTopic = new Map<string, Envelope[]>();
      for (const row of rows) {
        const topic = topicName(this.prefix, row.topic as TopicName);
        let list = byTopic.get(topic);
        if (!list) byTopic.set(topic, (list = []));
        list.push(row.payload);
      }
      try {
        const bus = this.opts.bus;
        if (bus.publishTopics && byTopic.size > 1) await bus.publishTopics([...byTopic].map(([topic, envelopes]) => ({ topic, envelopes })));
        else for (const [topic, envelopes] of byTopic) await bus.publish(topic, envelopes);
      } catch (err) {
        rolledBack = true;
        await client.query('ROLLBACK');
        throw err;
      }
      // The mark and the COMMIT in one round trip too; the ids are the table's own bigints
      // (checked), so they can be inlined in the parameterless query this takes.
      const ids = rows.map((r) => r.id);
      if (!ids.every((id) => /^\d+$/.test(id))) throw new Error('outbox ids must be integers');
      await client.query(`UPDATE outbox SET published_at = now() WHERE id = ANY('{${ids.join(',')}}'::bigint[]); COMMIT`);
      this.log.debug({ count: rows.length }, 'outbox rows published');
      return rows.length;
    } catch (err) {
      if (!rolledBack) {
        // A failed query leaves the connection in an unknown state: discard it.
        discard();
        await client.query('ROLLBACK').catch(() => undefined);
      }
      throw err;
    }
  }

  private async listen(): Promise<void> {
    if (!this.running) return;
    const client = new Client(pgConfigFromUrl(this.opts.databaseUrl));
    const reconnect = (err: unknown) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      this.log.warn({ err }, 'outbox LISTEN connection lost; reconnecting');
      client.end().catch(() => undefined);
      setTimeout(() => void this.listen(), 1000).unref();
    };
    client.on('error', reconnect);
    client.on('end', () => reconnect(new Error('connection ended')));
    client.on('notification', () => this.wake());
    this.listener = client;
    try {
      await client.connect();
      await client.query('LISTEN outbox');
      // Rows committed while we were not listening.
      this.wake();
    } catch (err) {
      reconnect(err);
    }
  }
}
