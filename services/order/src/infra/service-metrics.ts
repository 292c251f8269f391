// The order service's Prometheus gauges, computed on scrape: sagas by state and step, stuck
// sagas (what an alert fires on), outbox lag and the saga consumer's lag.
import { collectedGauge, registerConsumerLagMetrics, parseBrokers, registerOutboxMetrics, sharedCollect, type Logger } from '@sudamall/shared';
import type { Db } from './prisma';

export function registerOrderMetrics(opts: { db: Db; brokers: string; clientId: string; groups: () => readonly string[]; logger: Logger }): {
  close(): Promise<void>;
} {
  const { db, logger } = opts;
  registerOutboxMetrics((sql) => db.$queryRawUnsafe<unknown[]>(sql), logger);
  // One GROUP BY per scrape for both saga gauges.
  const sagas = sharedCollect(() =>
    db.$queryRawUnsafe<Array<{ state: string; step: string; n: number; stuck: number }>>(
      `SELECT state, current_step AS step, count(*)::int AS n, (count(*) FILTER (WHERE stuck))::int AS stuck
           FROM saga_instances GROUP BY state, current_step`,
    ),
  );
  collectedGauge({
    name: 'saga_instances',
    help: 'Checkout sagas by state and current step',
    labelNames: ['state', 'step'] as const,
    collect: async () => (await sagas()).map((r) => ({ labels: { state: r.state, step: r.step }, value: r.n })),
    logger,
  });
  collectedGauge({
    name: 'saga_stuck_instances',
    help: 'Checkout sagas flagged stuck (no progress past the step timeout, or too many re-sends), by state and step',
    labelNames: ['state', 'step'] as const,
    collect: async () => (await sagas()).filter((r) => r.stuck > 0).map((r) => ({ labels: { state: r.state, step: r.step }, value: r.stuck })),
    logger,
  });
  return registerConsumerLagMetrics({ brokers: parseBrokers(opts.brokers), clientId: opts.clientId, groups: opts.groups, logger });
}
