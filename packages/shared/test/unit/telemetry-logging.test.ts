import { trace } from '@opentelemetry/api';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logging';
import { createEnvelope } from '../../src/messaging/envelope';
import { startTelemetry } from '../../src/telemetry';

const telemetry = startTelemetry({ serviceName: 'shared-unit', inMemory: true });
afterAll(() => telemetry.shutdown());

describe('startTelemetry', () => {
  it('records spans into the in-memory exporter with the service name', () => {
    trace.getTracer('t').startActiveSpan('unit-span', (span) => span.end());
    const spans = telemetry.memoryExporter!.getFinishedSpans();
    const span = spans.find((s) => s.name === 'unit-span');
    expect(span).toBeDefined();
    expect(span!.resource.attributes['service.name']).toBe('shared-unit');
  });

  it('is started once per process', () => {
    expect(startTelemetry({ serviceName: 'other' })).toBe(telemetry);
  });

  it('puts the active trace into new envelopes', () => {
    trace.getTracer('t').startActiveSpan('producer', (span) => {
      const e = createEnvelope('stock.confirmed', 'o-1', { order_id: 'o-1' });
      expect(e.traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
      span.end();
    });
  });
});

describe('createLogger', () => {
  function capture() {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(JSON.parse(chunk.toString()));
        cb();
      },
    });
    return { lines, destination };
  }

  it('names the service on every line and adds trace_id/span_id of the active span', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 'inventory', level: 'info', destination });
    logger.info('outside');
    trace.getTracer('t').startActiveSpan('logging', (span) => {
      logger.info({ a: 1 }, 'inside');
      expect(lines[1]).toMatchObject({ service: 'inventory', a: 1, msg: 'inside', trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
      span.end();
    });
    expect(lines[0]).toMatchObject({ service: 'inventory', msg: 'outside' });
    expect(lines[0]).not.toHaveProperty('trace_id');
  });

  it('respects the level', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 'cart', level: 'warn', destination });
    logger.info('dropped');
    logger.warn('kept');
    expect(lines.map((l) => l.msg)).toEqual(['kept']);
  });
});
