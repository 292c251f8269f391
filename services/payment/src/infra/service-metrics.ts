// The payment service's own Prometheus gauges, computed on scrape (the outbox and consumer-lag
// gauges are the kernel's, registerServiceMetrics).
import { collectedGauge, sharedCollect, type Logger, type RawQuery } from '@sudamall/shared';
import { COUNT_DUPLICATE_CAPTURES } from './payment-sql';

/**
 * `payment_duplicate_captures_total{gateway}`: second captures ever recorded (payments the buyer
 * paid twice), and `payment_duplicate_captures_unrefunded{gateway,status}`: those whose automatic
 * refund has not gone through yet (refund_failed needs an operator). Counted from the durable
 * duplicate_captures table on each scrape, so a restart loses nothing and every replica reports
 * the same figure (aggregate with max, not sum). Any increase deserves an alert.
 */
export function registerDuplicateCaptureMetrics(query: RawQuery, logger?: Logger): void {
  const load = sharedCollect(
    async () =>
      (await query(COUNT_DUPLICATE_CAPTURES)) as Array<{
        gateway: string;
        status: string;
        n: number;
      }>,
  );
  collectedGauge({
    name: 'payment_duplicate_captures_total',
    help: 'Second captures of a payment (or of another payment of its order) ever recorded, refunded automatically',
    labelNames: ['gateway'] as const,
    logger,
    async collect() {
      const byGateway = new Map<string, number>();
      for (const r of await load()) byGateway.set(r.gateway, (byGateway.get(r.gateway) ?? 0) + Number(r.n));
      return [...byGateway].map(([gateway, value]) => ({ labels: { gateway }, value }));
    },
  });
  collectedGauge({
    name: 'payment_duplicate_captures_unrefunded',
    help: 'Duplicate captures whose automatic refund has not completed (refund_pending: in progress or retried; refund_failed: needs an operator)',
    labelNames: ['gateway', 'status'] as const,
    logger,
    async collect() {
      return (await load()).filter((r) => r.status !== 'refunded').map((r) => ({ labels: { gateway: r.gateway, status: r.status }, value: Number(r.n) }));
    },
  });
}
