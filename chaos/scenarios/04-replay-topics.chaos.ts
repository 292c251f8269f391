// Every consumer group of the run is rewound to the beginning of every topic it reads, so each
// service receives the whole history again (commands, replies, catalogue events): the inbox and
// the state checks must make all of it a no-op. The business state before and after must be
// identical, and the checker must still find nothing.
import { Kafka, logLevel } from 'kafkajs';
import { SERVICES } from '../../tests/e2e/test/platform';
import { settleAndCheck, formatReport } from '../../tests/e2e/test/invariants';
import { sleep, startChaosRun, type ChaosRun } from '../src/harness';

let run: ChaosRun;
beforeAll(async () => {
  run = await startChaosRun('replay');
}, 180_000);
afterAll(async () => {
  await run?.close();
});

/** What the replay must not change: stock, reservations, orders, sagas, payments, refunds. */
async function businessState(): Promise<Record<string, unknown>> {
  const products = run.products.map((p) => p.id);
  const orders = [...run.orderIds];
  return {
    stock: await run.query('inventory', 'SELECT id, available, reserved, sold FROM stock WHERE product_id = ANY($1::uuid[]) ORDER BY id', [products]),
    reservations: await run.query(
      'inventory',
      'SELECT order_id, line_id, status::text, quantity FROM reservations WHERE product_id = ANY($1::uuid[]) ORDER BY order_id, line_id',
      [products],
    ),
    orders: await run.query('order', 'SELECT order_id, status::text, cancel_reason FROM orders ORDER BY order_id'),
    status_history_rows: await run.query('order', 'SELECT count(*)::int AS n FROM order_status_history'),
    sagas: await run.query('order', `SELECT order_id, state, awaiting::text FROM saga_instances ORDER BY order_id`),
    payments: await run.query(
      'payment',
      'SELECT payment_id, status::text, refunded_amount::text, attempt_count FROM payments WHERE order_reference = ANY($1::text[]) ORDER BY payment_id',
      [orders],
    ),
    refunds: await run.query('payment', 'SELECT refund_id, status::text, amount::text FROM refunds ORDER BY refund_id'),
  };
}

function differences(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of Object.keys(a)) {
    const [x, y] = [a[key] as unknown[], b[key] as unknown[]];
    const xs = new Set(x.map((r) => JSON.stringify(r)));
    const ys = new Set(y.map((r) => JSON.stringify(r)));
    for (const r of xs) if (!ys.has(r)) out.push(`${key} before: ${r}`);
    for (const r of ys) if (!xs.has(r)) out.push(`${key} after:  ${r}`);
  }
  return out;
}

test('replaying every topic from the beginning to every consumer group changes nothing', async () => {
  const result = await run.startLoad({ durationMs: 30_000, concurrency: 8 });
  const before = await settleAndCheck(
    run.dbs,
    { productIds: run.products.map((p) => p.id), orderIds: [...run.orderIds] },
    { requireTerminal: true, timeoutMs: 90_000 },
  );
  run.say(`before the replay: ${formatReport(before)}`);
  expect(before.violations).toEqual([]);
  const stateBefore = await businessState();
  const [outboxBefore] = await run.query<{ n: number }>('inventory', 'SELECT count(*)::int AS n FROM outbox');

  const kafka = new Kafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), clientId: 'chaos-replay', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    // A group can only be rewound while it has no members: stop every service first.
    for (const s of SERVICES) await run.platform.stopService(s);
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(run.platform.topicPrefix));
    const rewound: Record<string, Record<string, number>> = {};
    for (const groupId of groups) {
      for (let attempt = 0; ; attempt++) {
        const described = await admin.describeGroups([groupId]);
        if (described.groups[0].members.length === 0) break;
        if (attempt > 60) throw new Error(`group ${groupId} still has members`);
        await sleep(500);
      }
      const committed = await admin.fetchOffsets({ groupId });
      rewound[groupId] = {};
      for (const t of committed) {
        const messages = t.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
        await admin.resetOffsets({ groupId, topic: t.topic, earliest: true });
        rewound[groupId][t.topic.slice(run.platform.topicPrefix.length)] = messages;
      }
    }
    run.say(`rewound ${groups.length} groups to the beginning (messages to replay per group and topic): ${JSON.stringify(rewound)}`);

    const t0 = Date.now();
    for (const s of SERVICES) await run.platform.startService(s);
    // Caught up when every group has committed up to the end of every partition again. Groups
    // named per process (live-update listeners) are not rejoined by the restarted process, which
    // takes a new name: only groups with members after the restart are waited for.
    let lag = Infinity;
    let live: string[] = [];
    while (Date.now() - t0 < 180_000) {
      lag = 0;
      const described = await admin.describeGroups(groups);
      live = described.groups.filter((g) => g.members.length > 0).map((g) => g.groupId);
      for (const groupId of live) {
        for (const t of await admin.fetchOffsets({ groupId })) {
          const ends = await admin.fetchTopicOffsets(t.topic);
          for (const p of t.partitions) {
            const end = Number(ends.find((e) => e.partition === p.partition)?.high ?? 0);
            lag += Math.max(0, end - Math.max(0, Number(p.offset)));
          }
        }
      }
      if (lag === 0) break;
      await sleep(1_000);
    }
    const replayMs = Date.now() - t0;
    await sleep(3_000);
    const stateAfter = await businessState();
    const [outboxAfter] = await run.query<{ n: number }>('inventory', 'SELECT count(*)::int AS n FROM outbox');
    const diff = differences(stateBefore, stateAfter);
    const report = await run.verdict(result, {
      replayed_and_caught_up_ms: replayMs,
      groups_rejoined: live.length,
      remaining_lag: lag,
      inventory_outbox_rows_before_after: [outboxBefore.n, outboxAfter.n],
      business_state_differences: diff.length,
    });
    for (const d of diff.slice(0, 20)) run.say(`  changed by the replay: ${d}`);
    expect(lag).toBe(0);
    expect(diff).toEqual([]);
    expect(report.violations).toEqual([]);
  } finally {
    await admin.disconnect();
  }
});
