// A crash loop: the saga's orchestrator (order) and the stock keeper (inventory) are killed with
// kill -9 again and again, a few seconds apart, each time restarted at once, so crashes land
// while the previous recovery (outbox backlog, redelivered replies, overdue timers) is still
// under way.
import { sleep, startChaosRun, type ChaosRun } from '../src/harness';
import type { ServiceName } from '../../tests/e2e/test/platform';

const ROUNDS = 6;
let run: ChaosRun;
beforeAll(async () => {
  run = await startChaosRun('crash-loop');
}, 180_000);
afterAll(async () => {
  await run?.close();
});

test(`${ROUNDS} kill -9 rounds of order and inventory a few seconds apart break no invariant`, async () => {
  const load = run.startLoad({ durationMs: 80_000, concurrency: 8 });
  const kills: string[] = [];
  const restartMs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const victim: ServiceName = i % 2 === 0 ? 'order' : 'inventory';
    await sleep(3_000 + Math.floor(Math.random() * 3_000));
    const inFlight = await run.inFlight();
    await run.platform.stopService(victim, 'SIGKILL');
    const t = Date.now();
    await run.platform.startService(victim);
    restartMs.push(Date.now() - t);
    kills.push(`${victim} ${JSON.stringify(inFlight)}`);
    run.say(`round ${i + 1}: kill -9 ${victim} with orders in flight ${JSON.stringify(inFlight)}, back in ${restartMs[i]} ms`);
  }
  const result = await load;
  const report = await run.verdict(result, { kills, restart_ms: restartMs });
  expect(result.orderIds.length).toBeGreaterThan(0);
  expect(report.violations).toEqual([]);
});
