// Gauges computed when Prometheus scrapes (collect callbacks), so nothing runs between scrapes:
// outbox lag (every service), Kafka consumer lag (every consumer group of the process), and
// `collectedGauge` for a service's own figures (saga states, reservations held) without the
// service depending on prom-client itself.
import { AssignerProtocol, Kafka, logLevel as KafkaLogLevel, type Admin } from 'kafkajs';
import { Gauge } from 'prom-client';
import { parseBrokers } from '../config';
import type { Logger } from '../logging';
import { metricsRegistry } from './metrics';

export interface GaugeSample<L extends string> {
  labels: Partial<Record<L, string | number>>;
  value: number;
}

/**
 * A gauge whose samples `collect` computes on each scrape (previous samples are dropped, so a
 * label set that disappears stops being reported). A failing `collect` is logged and the gauge
 * reports nothing (NaN when it has no labels) for that scrape rather than failing the whole
 * /metrics answer.
 */
export function collectedGauge<L extends string>(opts: {
  name: string;
  help: string;
  labelNames?: readonly L[];
  collect: () => Promise<ReadonlyArray<GaugeSample<L>>>;
  logger?: Logger;
}): Gauge<L> {
  // Tests build several containers in one process: the latest registration (live resources) wins.
  if (metricsRegistry.getSingleMetric(opts.name)) metricsRegistry.removeSingleMetric(opts.name);
  return new Gauge<L>({
    name: opts.name,
    help: opts.help,
    labelNames: opts.labelNames ?? [],
    registers: [metricsRegistry],
    async collect() {
      this.reset();
      try {
        for (const s of await opts.collect()) this.set(s.labels, s.value);
      } catch (err) {
        opts.logger?.warn({ err, metric: opts.name }, 'metric collection failed');
        // A gauge without labels always has a sample: NaN says "unknown" where 0 would claim "none".
        if ((opts.labelNames ?? []).length === 0) this.set(Number.NaN);
      }
    },
  });
}

/** Several gauges fed by one query per scrape (the first gauge collected runs it; the others reuse it). */
export function sharedCollect<T>(load: () => Promise<T>, maxAgeMs = 1000): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at > maxAgeMs) {
      const value = load();
      last = { at: now, value };
      value.catch(() => {
        last = undefined;
      });
    }
    return last.value;
  };
}

/** Runs one SQL statement on the service's own database and returns its rows (`(sql) => prisma.$queryRawUnsafe(sql)`, `(sql) => pool.query(sql).then((r) => r.rows)`). */
export type RawQuery = (sql: string) => Promise<unknown[]>;

/**
 * `outbox_pending_messages` and `outbox_oldest_pending_age_seconds`: what the relay has not
 * published yet and how long the oldest has waited. One indexed query per scrape (the outbox's
 * (published_at, id) index holds the pending rows).
 */
export function registerOutboxMetrics(query: RawQuery, logger?: Logger): void {
  const load = sharedCollect(async () => {
    const rows = (await query(
      `SELECT count(*) AS pending, EXTRACT(EPOCH FROM (now() - min(created_at)))::float8 AS oldest_age
         FROM outbox WHERE published_at IS NULL`,
    )) as Array<{ pending: bigint | number | string; oldest_age: number | string | null }>;
    const r = rows[0];
    return { pending: Number(r?.pending ?? 0), oldestAge: Math.max(0, Number(r?.oldest_age ?? 0)) };
  });
  collectedGauge({
    name: 'outbox_pending_messages',
    help: 'Outbox rows written and not yet published to Kafka',
    collect: async () => [{ labels: {}, value: (await load()).pending }],
    logger,
  });
  collectedGauge({
    name: 'outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest unpublished outbox row (0 when none)',
    collect: async () => [{ labels: {}, value: (await load()).oldestAge }],
    logger,
  });
}

export interface ConsumerLagOptions {
  brokers: string[];
  clientId: string;
  /** The consumer groups this process runs (read at each scrape: groups may start later). */
  groups: () => readonly string[];
  logger?: Logger;
  /** Results are reused for this long, so frequent scrapes cost the broker little. */
  cacheMs?: number;
}

export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  lag: number;
}

/** Lag of each partition a group has committed on: the partition's end offset minus the committed one. */
export async function consumerLag(admin: Admin, groups: readonly string[]): Promise<PartitionLag[]> {
  const out: PartitionLag[] = [];
  const ends = new Map<string, Map<number, { high: number; low: number }>>();
  for (const group of groups) {
    // The topics the group's members are assigned now (a group that never committed still has
    // lag: everything in the log); without any, every topic the group has committed on.
    const described = await admin.describeGroups([group]);
    const assigned = new Set<string>();
    for (const m of described.groups[0]?.members ?? []) {
      const a = m.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
      for (const topic of Object.keys(a?.assignment ?? {})) assigned.add(topic);
    }
    const committed = assigned.size > 0 ? await admin.fetchOffsets({ groupId: group, topics: [...assigned] }) : await admin.fetchOffsets({ groupId: group });
    for (const t of committed) {
      let byPartition = ends.get(t.topic);
      if (!byPartition) {
        byPartition = new Map((await admin.fetchTopicOffsets(t.topic)).map((p) => [p.partition, { high: Number(p.high), low: Number(p.low) }]));
        ends.set(t.topic, byPartition);
      }
      for (const p of t.partitions) {
        const end = byPartition.get(p.partition);
        if (!end) continue;
        const at = Number(p.offset);
        // -1: nothing committed yet on this partition; everything still in the log is unread.
        out.push({ group, topic: t.topic, partition: p.partition, lag: Math.max(0, end.high - (at < 0 ? end.low : at)) });
      }
    }
  }
  return out;
}

/**
 * `kafka_consumer_lag_messages{group,topic,partition}` (and the per-group sum
 * `kafka_consumer_group_lag_messages{group}`) from the broker's committed offsets, through an
 * admin client of its own, connected on the first scrape. Returns a closer for shutdown.
 */
export function registerConsumerLagMetrics(opts: ConsumerLagOptions): { close(): Promise<void> } {
  let admin: Admin | undefined;
  let connecting: Promise<Admin> | undefined;
  const connect = () => {
    connecting ??= (async () => {
      const kafka = new Kafka({ clientId: `${opts.clientId}-metrics`, brokers: opts.brokers, logLevel: KafkaLogLevel.NOTHING, retry: { retries: 1 } });
      const a = kafka.admin();
      await a.connect();
      admin = a;
      return a;
    })().catch((err: unknown) => {
      connecting = undefined;
      throw err;
    });
    return connecting;
  };
  const load = sharedCollect(async () => consumerLag(await connect(), opts.groups()), opts.cacheMs ?? 5000);
  collectedGauge({
    name: 'kafka_consumer_lag_messages',
    help: 'Messages not yet consumed, per consumer group, topic and partition (end offset - committed offset)',
    labelNames: ['group', 'topic', 'partition'] as const,
    collect: async () => (await load()).map((l) => ({ labels: { group: l.group, topic: l.topic, partition: String(l.partition) }, value: l.lag })),
    logger: opts.logger,
  });
  collectedGauge({
    name: 'kafka_consumer_group_lag_messages',
    help: 'Messages not yet consumed by a consumer group, over all its partitions',
    labelNames: ['group'] as const,
    collect: async () => {
      const sums = new Map<string, number>();
      for (const l of await load()) sums.set(l.group, (sums.get(l.group) ?? 0) + l.lag);
      return [...sums].map(([group, value]) => ({ labels: { group }, value }));
    },
    logger: opts.logger,
  });
  return {
    async close() {
      await admin?.disconnect().catch(() => undefined);
      admin = undefined;
      connecting = undefined;
    },
  };
}

export interface ServiceMetricsOptions {
  /** The service's own database: the outbox gauges' query. */
  query: RawQuery;
  /** KAFKA_BROKERS (comma-separated). */
  brokers: string;
  clientId: string;
  /** The consumer groups this process runs (read at each scrape). */
  groups: () => readonly string[];
  logger: Logger;
}

/**
 * What every service reports on /metrics beyond the HTTP figures: outbox lag and its consumer
 * groups' lag. A service adds its own gauges (collectedGauge) beside it. Returns the lag
 * gauges' closer.
 */
export function registerServiceMetrics(opts: ServiceMetricsOptions): { close(): Promise<void> } {
  registerOutboxMetrics(opts.query, opts.logger);
  return registerConsumerLagMetrics({ brokers: parseBrokers(opts.brokers), clientId: opts.clientId, groups: opts.groups, logger: opts.logger });
}
