// Periodic jobs (sweepers): `every(ms, name, fn)` runs fn about every ms, never overlapping
// itself (the next run is scheduled when the previous one has finished), with jitter so that
// several instances started together do not sweep in lockstep, and a stop() that waits for the
// run in progress (its writes go through the outbox, so it must end before the relay's last flush).
import type { Logger } from 'pino';

/** A periodic job as the kernel runs it: started after the consumers, stopped in the drain. */
export interface Job {
  name: string;
  start(logger: Logger): void;
  /** Stops scheduling and resolves when the run in progress (if any) has finished. */
  stop(): Promise<void>;
}

export interface EveryOptions {
  /** ± this fraction of `ms` on each delay; default 0.1 (a 30 s sweep runs every 27-33 s). */
  jitter?: number;
  /** Tests: a fixed source for the jitter. */
  random?: () => number;
}

/** The delay before the next run: uniform in [ms·(1-jitter), ms·(1+jitter)]. */
export function jitteredDelay(ms: number, jitter: number, random: () => number = Math.random): number {
  const j = Math.min(Math.max(jitter, 0), 1);
  return Math.max(0, Math.round(ms * (1 + j * (2 * random() - 1))));
}

/**
 * `fn` gets an AbortSignal that stop() aborts: a long sweep checks it between items, so a
 * shutdown waits for one item rather than a whole backlog. A run that throws is logged
 * (`<name> failed`) and the job carries on.
 */
export function every(ms: number, name: string, fn: (signal: AbortSignal) => Promise<unknown>, opts: EveryOptions = {}): Job {
  const jitter = opts.jitter ?? 0.1;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  let abort = new AbortController();

  return {
    name,
    start(logger: Logger) {
      if (!stopped) return;
      stopped = false;
      abort = new AbortController();
      const schedule = () => {
        timer = setTimeout(tick, jitteredDelay(ms, jitter, opts.random));
        timer.unref();
      };
      const tick = () => {
        timer = undefined;
        if (stopped) return;
        running = (async () => {
          try {
            await fn(abort.signal);
          } catch (err) {
            logger.error({ err, job: name }, `${name} failed`);
          }
        })().finally(() => {
          running = undefined;
          if (!stopped) schedule();
        });
      };
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      abort.abort();
      await running;
    },
  };
}
