// PostgreSQL goes away and comes back (a fast shutdown, which ends every connection, a few
// seconds down, then a start on the same data) under the checkout stream.
// Every service keeps running: requests during the outage are refused with 503 (never a 500,
// never a half-written order), pools reconnect, the outbox relays and LISTEN connections come
// back, and every order still ends.
// The server is the run's own (PrivatePostgres), so nobody else on the machine sees the outage.
import { sleep, startChaosRun, type ChaosRun } from '../src/harness';

const SERVICES = ['inventory', 'cart', 'order', 'payment'] as const;
const DOWN_FOR_MS = 5_000;

/** The services whose process is gone (a pg 'error' event nobody listens to kills a process). */
function deadServices(): string[] {
  return SERVICES.filter((s) => {
    const pid = run.platform.pid(s);
    if (pid === undefined) return true;
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
}

let run: ChaosRun;
beforeAll(async () => {
  run = await startChaosRun('postgres-restart', { privatePostgres: true });
}, 180_000);
afterAll(async () => {
  await run?.close();
});

test('a PostgreSQL restart mid-saga breaks no invariant, and no service dies', async () => {
  const load = run.startLoad({ durationMs: 70_000, concurrency: 8 });
  await sleep(10_000);
  const inFlight = await run.inFlight();
  const t0 = Date.now();
  run.say(`restarting PostgreSQL with orders in flight ${JSON.stringify(inFlight)}`);
  await run.postgres!.restart(DOWN_FOR_MS);
  const downMs = Date.now() - t0;
  run.say(`PostgreSQL back after ${downMs} ms`);
  const result = await load;
  const dead = deadServices();
  const report = await run.verdict(result, { in_flight_at_restart: inFlight, postgres_restart_ms: downMs, services_dead_after: dead });
  expect(dead).toEqual([]);
  // Refusals during the outage are 503 SERVICE_UNAVAILABLE (or a refused connection); a 500
  // would be an unmapped failure. errors is keyed `service status code`.
  expect(Object.keys(result.errors).filter((k) => / 500\b/.test(k))).toEqual([]);
  expect(report.violations).toEqual([]);
});
