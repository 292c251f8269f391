// every(ms, name, fn): jittered delays within their bounds, never two runs at once, a failing
// run logged and the job carrying on, and stop() waiting for the run in progress.
import { every, jitteredDelay } from '../../src/service/every';
import { createLogger } from '../../src/logging';

const logger = createLogger({ name: 'every-test', level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('jitters each delay within ms·(1 ± jitter)', () => {
  expect(jitteredDelay(1000, 0.1, () => 0)).toBe(900);
  expect(jitteredDelay(1000, 0.1, () => 0.5)).toBe(1000);
  expect(jitteredDelay(1000, 0.1, () => 0.999999)).toBe(1100);
  for (let i = 0; i < 1000; i++) {
    const d = jitteredDelay(30_000, 0.2);
    expect(d).toBeGreaterThanOrEqual(24_000);
    expect(d).toBeLessThanOrEqual(36_000);
  }
  expect(jitteredDelay(1000, 0, Math.random)).toBe(1000);
});

it('never runs two at once when a run outlasts the interval', async () => {
  let running = 0;
  let most = 0;
  let runs = 0;
  const job = every(5, 'slow job', async () => {
    running++;
    most = Math.max(most, running);
    await sleep(30);
    running--;
    runs++;
  });
  job.start(logger);
  await sleep(200);
  await job.stop();
  expect(runs).toBeGreaterThanOrEqual(2);
  expect(most).toBe(1);
});

it('logs a failed run and keeps going', async () => {
  const errors: string[] = [];
  const spy = { ...logger, error: (_fields: unknown, msg: string) => errors.push(msg) } as unknown as typeof logger;
  let runs = 0;
  const job = every(5, 'flaky sweep', async () => {
    runs++;
    if (runs === 1) throw new Error('boom');
  });
  job.start(spy);
  await sleep(100);
  await job.stop();
  expect(errors[0]).toBe('flaky sweep failed');
  expect(runs).toBeGreaterThanOrEqual(2);
});

it('stop() aborts the signal, waits for the run in progress and schedules no other', async () => {
  let finished = false;
  let seenAbort = false;
  let runs = 0;
  let started!: () => void;
  const inRun = new Promise<void>((r) => (started = r));
  const job = every(5, 'sweep', async (signal) => {
    runs++;
    started();
    // A sweep of many items checks the signal between them.
    for (let i = 0; i < 20 && !signal.aborted; i++) await sleep(10);
    seenAbort = signal.aborted;
    await sleep(20);
    finished = true;
  });
  job.start(logger);
  await inRun;
  await job.stop();
  expect(finished).toBe(true);
  expect(seenAbort).toBe(true);
  await sleep(50);
  expect(runs).toBe(1);
});

it('stop() before the first run resolves at once and nothing runs', async () => {
  let runs = 0;
  const job = every(20, 'idle', async () => {
    runs++;
  });
  job.start(logger);
  await job.stop();
  await sleep(60);
  expect(runs).toBe(0);
});
