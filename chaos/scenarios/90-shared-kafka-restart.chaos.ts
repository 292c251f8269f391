// The broker goes away and comes back (scripts/platform.sh restart-kafka: a clean stop, then a
// start on the same data) under the checkout stream. Outbox rows wait in PostgreSQL while it is
// down, consumers rejoin their groups, and every order still ends.
// Shared: the broker is the machine's, so every other suite sees this outage. `run.sh` runs it
// only with CHAOS_SHARED=1, after the others.
import { sh, sleep, startChaosRun, type ChaosRun } from '../src/harness';

let run: ChaosRun;
beforeAll(async () => {
  run = await startChaosRun('kafka-restart');
}, 180_000);
afterAll(async () => {
  await run?.close();
});

test('a Kafka restart mid-saga breaks no invariant', async () => {
  const load = run.startLoad({ durationMs: 70_000, concurrency: 8 });
  await sleep(10_000);
  const inFlight = await run.inFlight();
  const t0 = Date.now();
  run.say(`restarting Kafka with orders in flight ${JSON.stringify(inFlight)}`);
  const restarted = await sh('bash', ['scripts/platform.sh', 'restart-kafka'], 240_000);
  const downMs = Date.now() - t0;
  run.say(`Kafka back after ${downMs} ms (exit ${restarted.code})`);
  const [pending] = await run.query<{ n: number }>('order', 'SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
  const result = await load;
  const report = await run.verdict(result, { in_flight_at_restart: inFlight, kafka_restart_ms: downMs, order_outbox_unpublished_right_after: pending.n });
  expect(restarted.code).toBe(0);
  expect(report.violations).toEqual([]);
});
