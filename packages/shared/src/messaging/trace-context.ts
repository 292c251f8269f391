import { context, ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

// W3C explicitly, not the global propagator: envelopes and Kafka headers carry `traceparent`
// even in a process where telemetry was not started (tests, tools).
const w3c = new W3CTraceContextPropagator();

const setter = {
  set(carrier: Record<string, string>, key: string, value: string) {
    carrier[key] = value;
  },
};
const getter = {
  get(carrier: Record<string, string>, key: string) {
    return carrier[key];
  },
  keys(carrier: Record<string, string>) {
    return Object.keys(carrier);
  },
};

/** The active span as a W3C `traceparent`, or undefined when there is none. */
export function currentTraceparent(ctx: Context = context.active()): string | undefined {
  if (!trace.getSpanContext(ctx)) return undefined;
  const carrier: Record<string, string> = {};
  w3c.inject(ctx, carrier, setter);
  return carrier.traceparent;
}

/** A context whose remote parent is the given `traceparent` (ROOT when absent or malformed). */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return w3c.extract(ROOT_CONTEXT, { traceparent }, getter);
}
