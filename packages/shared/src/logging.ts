import { trace, isSpanContextValid } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger, type LevelWithSilentOrString } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  name: string;
  level?: LevelWithSilentOrString;
  /** Where lines go; stdout by default (tests pass a stream to read them back). */
  destination?: DestinationStream;
}

/** pino logger; every line names the service and the active span, so logs join traces. */
export function createLogger({ name, level = 'info', destination }: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin() {
      const ctx = trace.getActiveSpan()?.spanContext();
      if (!ctx || !isSpanContextValid(ctx)) return {};
      return { trace_id: ctx.traceId, span_id: ctx.spanId };
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
