import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { handleShutdownSignals, type ShutdownPlan } from '../../src/lifecycle';
import { createLogger } from '../../src/logging';

type Line = Record<string, unknown> & { msg: string };

function harness(plan: (events: string[]) => ShutdownPlan, opts: { timeoutMs?: number; telemetryTimeoutMs?: number; readinessGraceMs?: number } = {}) {
  const events: string[] = [];
  const lines: Line[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Line);
      cb();
    },
  });
  const source = new EventEmitter();
  let resolveExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  const exit = jest.fn((code: number) => {
    events.push(`exit ${code}`);
    resolveExit(code);
  });
  const shutdown = handleShutdownSignals(plan(events), {
    logger: createLogger({ name: 'unit', destination }),
    timeoutMs: opts.timeoutMs ?? 5_000,
    telemetryTimeoutMs: opts.telemetryTimeoutMs,
    readinessGraceMs: opts.readinessGraceMs,
    source,
    exit,
  });
  return { events, lines, source, exit, exited, shutdown };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A step that records when it starts and ends, taking `ms`. */
const timed =
  (events: string[], name: string, ms = 0) =>
  async () => {
    events.push(`${name} start`);
    await sleep(ms);
    events.push(`${name} end`);
  };

describe('handleShutdownSignals', () => {
  it('keeps serving for the readiness grace between not ready and the drain (a request already on the wire is answered)', async () => {
    let notReadyAt = 0;
    let drainAt = 0;
    const h = harness(
      (events) => ({
        notReady: () => {
          notReadyAt = Date.now();
          events.push('not ready');
        },
        drain: {
          http: async () => {
            drainAt = Date.now();
            events.push('http drain');
          },
        },
        close: {},
      }),
      { readinessGraceMs: 150 },
    );
    h.source.emit('SIGTERM');
    expect(await h.exited).toBe(0);
    expect(h.events).toEqual(['not ready', 'http drain', 'exit 0']);
    expect(drainAt - notReadyAt).toBeGreaterThanOrEqual(140);
    expect(h.lines.some((l) => l.msg === 'shutdown step done' && l.phase === 'not ready' && l.step === 'grace')).toBe(true);
  });

  it('runs not-ready, then the drain steps together, then the close steps in order, then telemetry, then exits 0', async () => {
    const h = harness((events) => ({
      notReady: () => events.push('not ready'),
      drain: { http: timed(events, 'http', 30), grpc: timed(events, 'grpc', 10), consumer: timed(events, 'consumer', 20) },
      close: { relay: timed(events, 'relay', 10), pools: timed(events, 'pools') },
      telemetry: { shutdown: timed(events, 'telemetry') },
    }));

    h.source.emit('SIGTERM');
    expect(await h.exited).toBe(0);

    expect(h.events).toEqual([
      'not ready',
      // All three drain steps start before any of them ends: they run together.
      'http start',
      'grpc start',
      'consumer start',
      'grpc end',
      'consumer end',
      'http end',
      'relay start',
      'relay end',
      'pools start',
      'pools end',
      'telemetry start',
      'telemetry end',
      'exit 0',
    ]);
    const steps = h.lines.filter((l) => l.msg === 'shutdown step done').map((l) => `${String(l.phase)}/${String(l.step)}`);
    expect(steps).toEqual(['not ready/readiness', 'drain/grpc', 'drain/consumer', 'drain/http', 'close/relay', 'close/pools', 'telemetry/shutdown']);
    for (const l of h.lines.filter((line) => line.msg === 'shutdown step done')) expect(typeof l.ms).toBe('number');
    expect(h.lines.find((l) => l.msg === 'shutting down')).toMatchObject({ reason: 'SIGTERM', timeout_ms: 5_000 });
    expect(h.lines.at(-1)).toMatchObject({ msg: 'shut down', exit_code: 0, failed: [] });
  });

  it('is stopping from the first signal on', async () => {
    const h = harness(() => ({ notReady: () => undefined, drain: {}, close: {} }));
    expect(h.shutdown.stopping).toBe(false);
    h.source.emit('SIGINT');
    expect(h.shutdown.stopping).toBe(true);
    expect(await h.exited).toBe(0);
  });

  it('ignores a second signal: the steps run once and exit is called once', async () => {
    const h = harness((events) => ({
      notReady: () => events.push('not ready'),
      drain: { http: timed(events, 'http', 20) },
      close: { pools: timed(events, 'pools') },
    }));

    h.source.emit('SIGTERM');
    h.source.emit('SIGTERM');
    h.source.emit('SIGINT');
    await h.exited;
    await sleep(30);

    expect(h.events).toEqual(['not ready', 'http start', 'http end', 'pools start', 'pools end', 'exit 0']);
    expect(h.exit).toHaveBeenCalledTimes(1);
    expect(h.lines.filter((l) => l.msg === 'already shutting down; signal ignored').map((l) => l.reason)).toEqual(['SIGTERM', 'SIGINT']);
  });

  it('keeps going after a failing step and exits 1, naming it', async () => {
    const h = harness((events) => ({
      notReady: () => events.push('not ready'),
      drain: {
        http: async () => {
          throw new Error('close failed');
        },
        consumer: timed(events, 'consumer', 10),
      },
      close: {
        relay: () => {
          throw new Error('flush failed');
        },
        pools: timed(events, 'pools'),
      },
      telemetry: { shutdown: timed(events, 'telemetry') },
    }));

    h.source.emit('SIGTERM');
    expect(await h.exited).toBe(1);

    expect(h.events).toEqual(['not ready', 'consumer start', 'consumer end', 'pools start', 'pools end', 'telemetry start', 'telemetry end', 'exit 1']);
    const failures = h.lines.filter((l) => l.msg === 'shutdown step failed');
    expect(failures.map((l) => [l.step, (l.err as { message: string }).message])).toEqual([
      ['http', 'close failed'],
      ['relay', 'flush failed'],
    ]);
    expect(h.lines.at(-1)).toMatchObject({ msg: 'shut down', exit_code: 1, failed: ['drain/http', 'close/relay'] });
  });

  it('exits 1 at the deadline, naming the steps still pending and how long they ran', async () => {
    const h = harness(
      (events) => ({
        notReady: () => undefined,
        drain: { http: timed(events, 'http'), consumer: () => new Promise(() => undefined) },
        close: { pools: timed(events, 'pools') },
      }),
      { timeoutMs: 50 },
    );

    const signalled = Date.now();
    h.source.emit('SIGTERM');
    expect(await h.exited).toBe(1);

    expect(Date.now() - signalled).toBeGreaterThanOrEqual(45);
    // The hung consumer held up the close phase: nothing after it ran.
    expect(h.events).toEqual(['http start', 'http end', 'exit 1']);
    const report = h.lines.find((l) => l.msg === 'shutdown deadline passed; exiting with steps still pending');
    expect(report).toMatchObject({ level: 50, timeout_ms: 50, pending: [{ step: 'drain/consumer' }] });
    expect((report!.pending as Array<{ ms: number }>)[0].ms).toBeGreaterThanOrEqual(45);
  });

  it('does not let the deadline fire after a shutdown that finished in time', async () => {
    const h = harness((events) => ({ notReady: () => undefined, drain: { http: timed(events, 'http', 5) }, close: {} }), { timeoutMs: 40 });
    h.source.emit('SIGTERM');
    expect(await h.exited).toBe(0);
    await sleep(60);
    expect(h.exit).toHaveBeenCalledTimes(1);
  });

  it('bounds telemetry: a flush that hangs is dropped with a warning and the exit is still 0', async () => {
    const h = harness(() => ({ notReady: () => undefined, drain: {}, close: {}, telemetry: { shutdown: () => new Promise(() => undefined) } }), {
      telemetryTimeoutMs: 20,
    });
    h.source.emit('SIGTERM');
    expect(await h.exited).toBe(0);
    expect(h.lines.some((l) => l.msg === 'telemetry did not flush in time; unexported spans dropped')).toBe(true);
  });

  it('begin() starts the same run a signal would', async () => {
    const h = harness((events) => ({ notReady: () => events.push('not ready'), drain: {}, close: {} }));
    const run = h.shutdown.begin('test');
    expect(h.shutdown.begin('again')).toBe(run);
    await run;
    expect(h.events).toEqual(['not ready', 'exit 0']);
  });
});
