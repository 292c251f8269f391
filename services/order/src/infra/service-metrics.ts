// The order service's own Prometheus gauges, computed on scrape: sagas by state and step, and the
// stuck ones (what an alert fires on). The outbox and consumer-lag gauges are the kernel's.
import { collectedGauge, sharedCollect, type Logger, type SqlRunner } from '@sudamall/shared';

// Both gauges from one GROUP BY per scrape (count FILTER in the same pass), which Prisma's
// groupBy cannot express.
const SAGAS_BY_STATE_AND_STEP = `
  SELECT state, current_step AS step, count(*)::int AS n, (count(*) FILTER (WHERE stuck))::int AS stuck
    FROM saga_instances GROUP BY state, current_step`;

export function registerOrderGauges(sql: SqlRunner, logger: Logger): void {
  const sagas = sharedCollect(() => sql.query<{ state: string; step: string; n: number; stuck: number }>(SAGAS_BY_STATE_AND_STEP));
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
}
