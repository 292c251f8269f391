// The inbox's retention as a kernel job. Every consumer writes one inbox row per message it
// handles (claimInbox, or the same INSERT inside a use case's statement); the rows are what make a
// redelivery a duplicate, so they may go only once the broker cannot deliver their message again.
// The kernel runs this job in every service with a bus, beside the service's own jobs.
import { Pool } from 'pg';
import type { Logger } from 'pino';
import { pgConfigFromUrl } from '../db/pg-config';
import { INBOX_ROWS, RowRetention, type PruneResult } from '../messaging/retention';
import type { Job } from './every';

/** The pruning connection's application_name. */
export const INBOX_RETENTION_APPLICATION = 'sudamall-inbox-retention';

export interface InboxRetentionOptions {
  databaseUrl: string;
  /** Processed rows older than this are deleted; 0 or less keeps every row. */
  retentionMs: number;
  /** Default every 10 minutes. */
  everyMs?: number;
  /** Default 5,000 rows per statement. */
  batchSize?: number;
  /** The connection's application_name; default INBOX_RETENTION_APPLICATION. */
  applicationName?: string;
}

export interface InboxRetentionJob extends Job {
  /** One round now (tests, operators' scripts); `busy` when another replica is pruning. */
  prune(): Promise<PruneResult>;
}

/**
 * Its own one-connection pool, opened at start and closed by stop(): the pruning's DELETEs never
 * wait for a connection the consumers' handlers hold, nor take one from them.
 */
export function inboxRetentionJob(opts: InboxRetentionOptions): InboxRetentionJob {
  let pool: Pool | undefined;
  let retention: RowRetention | undefined;
  const open = (logger: Logger): RowRetention => {
    if (retention) return retention;
    const log = logger.child({ component: 'inbox-retention' });
    // Named, so an operator sees in pg_stat_activity whose DELETEs these are.
    pool = new Pool({
      ...pgConfigFromUrl(opts.databaseUrl),
      application_name: opts.applicationName ?? INBOX_RETENTION_APPLICATION,
      max: 1,
      idleTimeoutMillis: 30000,
    });
    pool.on('error', (err) => log.warn({ err }, 'inbox retention pool client error'));
    retention = new RowRetention(pool, log, INBOX_ROWS, {
      retentionMs: opts.retentionMs,
      everyMs: opts.everyMs ?? 10 * 60_000,
      batchSize: opts.batchSize ?? 5000,
    });
    return retention;
  };
  let logger: Logger | undefined;
  return {
    name: 'inbox retention',
    start(log: Logger) {
      logger = log;
      open(log).start();
    },
    prune() {
      if (!logger) return Promise.reject(new Error('the inbox retention job is not started'));
      return open(logger).prune();
    },
    async stop() {
      const r = retention;
      const p = pool;
      logger = undefined;
      retention = undefined;
      pool = undefined;
      await r?.stop();
      await p?.end().catch(() => undefined);
    },
  };
}

/**
 * Topics whose messages the broker keeps longer than the inbox keeps its rows (retention.ms -1:
 * forever), named with their retention: a replay or a consumer group's reset could deliver such a
 * message again after its inbox row is gone, and it would be applied twice. Nothing when the inbox
 * keeps every row.
 */
export function topicsOutlastingInbox(topicRetentionMs: ReadonlyMap<string, number>, inboxRetentionMs: number): Array<{ topic: string; retention_ms: number }> {
  if (inboxRetentionMs <= 0) return [];
  return [...topicRetentionMs].filter(([, ms]) => ms < 0 || ms >= inboxRetentionMs).map(([topic, ms]) => ({ topic, retention_ms: ms }));
}
