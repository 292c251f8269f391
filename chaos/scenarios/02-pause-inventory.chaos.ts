// kill -STOP the inventory service for longer than its stock-lock TTL (and longer than the Kafka
// session timeout), with a second inventory replica running: the replica takes over the Kafka
// partitions and the expired Redis locks while the paused process may be holding a reservation
// half-done. A lock-only design oversells here; the conditional UPDATE underneath must not.
import { sleep, startChaosRun, type ChaosRun } from '../src/harness';

const LOCK_TTL_MS = 3_000;
const PAUSE_MS = 12_000;
let run: ChaosRun;
beforeAll(async () => {
  run = await startChaosRun('pause-inventory', {
    // Enough stock to keep reserving through both pauses, on few rows: every reservation contends.
    stockPerRow: 150,
    env: { inventory: { STOCK_LOCK_TTL_MS: String(LOCK_TTL_MS) } },
  });
}, 180_000);
afterAll(async () => {
  await run?.close();
});

async function reservationsBetween(from: Date, to: Date) {
  const [row] = await run.query<{ reservations: number; orders: number }>(
    'inventory',
    'SELECT count(*)::int AS reservations, count(DISTINCT order_id)::int AS orders FROM reservations WHERE created_at BETWEEN $1 AND $2',
    [from, to],
  );
  return row;
}

test(`SIGSTOP of an inventory instance for ${PAUSE_MS / 1000} s (lock TTL ${LOCK_TTL_MS / 1000} s) beside another, then SIGCONT, oversells nothing`, async () => {
  const replica = await run.platform.startReplica('inventory');
  run.say(`inventory replica up (pid ${replica.pid}); both share the Kafka partitions of inventory.commands and the stock locks`);
  const load = run.startLoad({ durationMs: 60_000, concurrency: 10 });
  const measured: Record<string, unknown> = { paused_ms: PAUSE_MS, lock_ttl_ms: LOCK_TTL_MS };
  // First the replica (peers keep calling the primary, so checkouts keep coming while the paused
  // replica sits on its partitions and locks), then the primary (the front door stalls too).
  for (const [label, pid, signal] of [
    ['replica', replica.pid, (sig: NodeJS.Signals) => process.kill(replica.pid, sig)],
    ['primary', run.platform.pid('inventory'), (sig: NodeJS.Signals) => run.platform.signal('inventory', sig)],
  ] as const) {
    await sleep(8_000);
    const inFlight = await run.inFlight();
    const pausedAt = new Date();
    signal('SIGSTOP');
    // What the frozen process sits on: stock locks in Redis (until their TTL) and open transactions.
    const locks = (await run.redis.cli('--scan', '--pattern', '*stock:*')).out.split('\n').filter(Boolean).length;
    const [tx] = await run.query<{ open: number }>(
      'inventory',
      `SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    run.say(
      `kill -STOP inventory ${label} (pid ${pid}) with orders in flight ${JSON.stringify(inFlight)}; stock locks held ${locks}, transactions left open ${tx.open}`,
    );
    await sleep(PAUSE_MS);
    signal('SIGCONT');
    const resumedAt = new Date();
    const during = await reservationsBetween(pausedAt, resumedAt);
    run.say(`kill -CONT inventory ${label}; reservations made by the other instance during the pause: ${JSON.stringify(during)}`);
    measured[`${label}_paused`] = {
      in_flight_at_pause: inFlight,
      locks_at_pause: locks,
      open_transactions_at_pause: tx.open,
      reserved_by_the_other_during_pause: during,
    };
  }
  const result = await load;
  await replica.stop();
  const stock = await run.query<{ size: string; available: number; reserved: number; sold: number }>(
    'inventory',
    'SELECT size, available, reserved, sold FROM stock WHERE product_id = ANY($1::uuid[]) ORDER BY product_id, size',
    [run.products.map((p) => p.id)],
  );
  const report = await run.verdict(result, { ...measured, stock_rows_when_load_ended: stock });
  expect(result.orderIds.length).toBeGreaterThan(0);
  expect(report.violations).toEqual([]);
});
