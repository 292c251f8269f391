// Graceful shutdown, in the one order every service needs on SIGTERM/SIGINT:
//   1. not ready      /readyz → 503, gRPC health → NOT_SERVING, so load balancers stop routing here;
//                     the service keeps serving for `readinessGraceMs` meanwhile, so a request
//                     already on the wire when the signal came (read a moment later) is answered;
//   2. drain          stop accepting and finish what is in flight, all at once: the HTTP server
//                     (fastify's close waits for in-flight requests), the gRPC server, the Kafka
//                     consumers (handled offsets committed), live hubs, background sweepers;
//   3. close          one after another, because later ones serve earlier ones: the outbox relay's
//                     last flush, then the bus, pools and the rest of the container;
//   4. telemetry      flush traces, bounded (an unreachable collector must not hold the exit);
//   5. exit           0 when every step succeeded, 1 when one failed.
// An overall deadline (SHUTDOWN_TIMEOUT_MS, below the pod's grace period) cuts a hung step short:
// the process logs what was still pending and exits 1 before Kubernetes has to SIGKILL it.
import type { Logger } from 'pino';

export type ShutdownStep = () => unknown;

/** Named steps; the names are what the log lines and the deadline report show. */
export type ShutdownSteps = Record<string, ShutdownStep>;

export interface ShutdownPlan {
  /** Synchronous: flips the HTTP ready callback and gRPC health (setServing(false)). */
  notReady: () => void;
  /** Run together: stop taking work and finish what is in flight. */
  drain: ShutdownSteps;
  /** Run in order, after the drain: flush the outbox, disconnect the bus, close pools. */
  close: ShutdownSteps;
  telemetry?: { shutdown(): Promise<void> };
}

/** What signals arrive on: `process` in a service, an EventEmitter in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
}

export interface GracefulShutdownOptions {
  logger: Logger;
  /** From the signal to a forced exit(1); keep it below the pod's terminationGracePeriod minus preStop. */
  timeoutMs: number;
  /** Traces not exported within this are dropped; default 2000. */
  telemetryTimeoutMs?: number;
  /**
   * From not ready to the drain: still serving, so requests sent before the signal but read after
   * it (a busy event loop, a keep-alive connection) are answered instead of turned away with 503.
   * Default 0 (SHUTDOWN_READINESS_GRACE_MS in the services' config).
   */
  readinessGraceMs?: number;
  signals?: readonly NodeJS.Signals[];
  source?: SignalSource;
  exit?: (code: number) => void;
}

export interface GracefulShutdown {
  /** True from the first signal on (ready callbacks may read it). */
  readonly stopping: boolean;
  /** Starts the shutdown as a signal would; later calls return the same run. */
  begin(reason: string): Promise<void>;
}

/** The default overall deadline: Kubernetes' 30 s grace period minus a 5 s preStop pause, with margin. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 20_000;

const DEFAULT_TELEMETRY_TIMEOUT_MS = 2_000;

/**
 * Registers the signal handlers and returns the handle. Handlers stay installed (`on`, not
 * `once`), so a second SIGTERM or an impatient second Ctrl-C is logged and ignored instead of
 * reaching Node's default handler, which would kill the process mid-drain; the deadline is
 * what bounds a shutdown.
 */
export function handleShutdownSignals(plan: ShutdownPlan, opts: GracefulShutdownOptions): GracefulShutdown {
  const { logger, timeoutMs } = opts;
  const telemetryTimeoutMs = opts.telemetryTimeoutMs ?? DEFAULT_TELEMETRY_TIMEOUT_MS;
  const readinessGraceMs = opts.readinessGraceMs ?? 0;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const source = opts.source ?? process;
  const pending = new Map<string, number>(); // "phase/step" → started at
  const failed: string[] = [];
  let exited = false;
  let run: Promise<void> | undefined;

  const exitOnce = (code: number) => {
    if (exited) return;
    exited = true;
    exit(code);
  };

  const step = async (phase: string, name: string, fn: ShutdownStep): Promise<void> => {
    const key = `${phase}/${name}`;
    const started = Date.now();
    pending.set(key, started);
    try {
      await fn();
      logger.info({ phase, step: name, ms: Date.now() - started }, 'shutdown step done');
    } catch (err) {
      failed.push(key);
      logger.error({ phase, step: name, ms: Date.now() - started, err }, 'shutdown step failed');
    } finally {
      pending.delete(key);
    }
  };

  const shutDown = async (reason: string): Promise<void> => {
    const started = Date.now();
    logger.info({ reason, timeout_ms: timeoutMs }, 'shutting down');
    const deadline = setTimeout(() => {
      const now = Date.now();
      logger.error(
        {
          timeout_ms: timeoutMs,
          pending: [...pending].map(([key, at]) => ({ step: key, ms: now - at })),
          failed,
        },
        'shutdown deadline passed; exiting with steps still pending',
      );
      exitOnce(1);
    }, timeoutMs);

    try {
      await step('not ready', 'readiness', plan.notReady);
      if (readinessGraceMs > 0) await step('not ready', 'grace', () => new Promise((r) => setTimeout(r, readinessGraceMs)));
      await Promise.all(Object.entries(plan.drain).map(([name, fn]) => step('drain', name, fn)));
      for (const [name, fn] of Object.entries(plan.close)) await step('close', name, fn);
      const telemetry = plan.telemetry;
      if (telemetry) {
        await step('telemetry', 'shutdown', () => boundedTelemetryShutdown(telemetry, telemetryTimeoutMs, logger));
      }
    } finally {
      clearTimeout(deadline);
    }
    if (exited) return; // the deadline already fired while the last step was finishing
    const code = failed.length === 0 ? 0 : 1;
    logger[code === 0 ? 'info' : 'error']({ ms: Date.now() - started, failed, exit_code: code }, 'shut down');
    exitOnce(code);
  };

  const handle: GracefulShutdown = {
    get stopping() {
      return run !== undefined;
    },
    begin(reason: string) {
      if (run) {
        logger.warn({ reason }, 'already shutting down; signal ignored');
        return run;
      }
      run = shutDown(reason);
      return run;
    },
  };
  for (const signal of opts.signals ?? (['SIGTERM', 'SIGINT'] as const)) {
    source.on(signal, () => void handle.begin(signal));
  }
  return handle;
}

async function boundedTelemetryShutdown(telemetry: { shutdown(): Promise<void> }, ms: number, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    if ((await Promise.race([telemetry.shutdown().then(() => 'done' as const), timedOut])) === 'timeout') {
      logger.warn({ ms }, 'telemetry did not flush in time; unexported spans dropped');
    }
  } finally {
    clearTimeout(timer);
  }
}
