// Inventory's own Prometheus gauges, computed on scrape: reservations held (open reservations,
// their quantity, the orders holding stock). The outbox and consumer-lag gauges are the kernel's.
import { collectedGauge, sharedCollect, type Logger, type SqlRunner } from '@sudamall/shared';
import { NEW_RESERVATION_STATUS } from '../domain/reservation';

// The (status, expires_at) index holds the open ones.
const RESERVATIONS_HELD_SQL = `
SELECT count(*)::int AS n, COALESCE(sum(quantity), 0)::int AS qty, count(DISTINCT order_id)::int AS orders
  FROM reservations WHERE status = '${NEW_RESERVATION_STATUS}'`;

export function registerInventoryGauges(sql: SqlRunner, logger: Logger): void {
  const held = sharedCollect(async () => {
    const [row] = await sql.query<{ n: number; qty: number; orders: number }>(RESERVATIONS_HELD_SQL);
    return row ?? { n: 0, qty: 0, orders: 0 };
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
}
