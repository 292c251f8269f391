// kill -9 each service in turn while checkouts are in flight, then start it again on the same
// ports, database and topics. A crash may land between any two steps of the saga: the outbox,
// the inbox and the saga's persisted state must carry every order to its end anyway.
import { SERVICES } from '../../tests/e2e/test/platform';
import { sleep, startChaosRun, type ChaosRun } from '../src/harness';

let run: ChaosRun;
beforeAll(async () => {
  run = await startChaosRun('kill-9');
}, 180_000);
afterAll(async () => {
  await run?.close();
});

test('kill -9 of each service in turn mid-saga, then a restart, breaks no invariant', async () => {
  const load = run.startLoad({ durationMs: 75_000, concurrency: 8 });
  const measured: Record<string, unknown> = {};
  for (const s of SERVICES) {
    await sleep(8_000);
    const inFlight = await run.inFlight();
    const pid = run.platform.pid(s);
    await run.platform.stopService(s, 'SIGKILL');
    run.say(`kill -9 ${s} (pid ${pid}) with orders in flight ${JSON.stringify(inFlight)}`);
    await sleep(2_000);
    const t = Date.now();
    await run.platform.startService(s);
    const restartMs = Date.now() - t;
    run.say(`${s} restarted, ready in ${restartMs} ms (pid ${run.platform.pid(s)})`);
    measured[s] = { in_flight_at_kill: inFlight, down_ms: 2_000 + restartMs };
  }
  const result = await load;
  const report = await run.verdict(result, measured);
  expect(result.orderIds.length).toBeGreaterThan(0);
  expect(report.violations).toEqual([]);
});
