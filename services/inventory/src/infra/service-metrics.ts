// The inventory service's Prometheus gauges, computed on scrape: reservations held (open
// reservations, their quantity, the orders holding stock), outbox lag and the commands
// consumer's lag.
import { collectedGauge, registerConsumerLagMetrics, parseBrokers, registerOutboxMetrics, sharedCollect, type Logger } from '@sudamall/shared';

export function registerInventoryMetrics(opts: {
  query: (sql: string) => Promise<unknown[]>;
  /** KAFKA_BROKERS (comma-separated). */
  brokers: string;
  clientId: string;
  groups: () => readonly string[];
  logger: Logger;
}): { close(): Promise<void> } {
  const { query, logger } = opts;
  registerOutboxMetrics(query, logger);
  // The (status, expires_at) index holds the open ones.
  const held = sharedCollect(async () => {
    const rows = (await query(
      `SELECT count(*)::int AS n, COALESCE(sum(quantity), 0)::int AS qty, count(DISTINCT order_id)::int AS orders
         FROM reservations WHERE status = 'reserved'`,
    )) as Array<{ n: number; qty: number; orders: number }>;
    return rows[0] ?? { n: 0, qty: 0, orders: 0 };
  });
  collectedGauge({
    name: 'inventory_reservations_held',
    help: 'Open stock reservations (reserved, not yet confirmed, released or expired)',
    collect: async () => [{ labels: {}, value: (await held()).n }],
    logger,
  });
  collectedGauge({
    name: 'inventory_reserved_quantity',
    help: 'Units held by open reservations',
    collect: async () => [{ labels: {}, value: (await held()).qty }],
    logger,
  });
  collectedGauge({
    name: 'inventory_orders_holding_stock',
    help: 'Orders with at least one open reservation',
    collect: async () => [{ labels: {}, value: (await held()).orders }],
    logger,
  });
  return registerConsumerLagMetrics({ brokers: parseBrokers(opts.brokers), clientId: opts.clientId, groups: opts.groups, logger });
}
