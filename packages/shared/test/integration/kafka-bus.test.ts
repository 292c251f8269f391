import { context, trace, TraceFlags } from '@opentelemetry/api';
import { Kafka, logLevel } from 'kafkajs';
import { createEnvelope, type AnyEnvelope } from '../../src/messaging/envelope';
import { KafkaBus, type MessageMeta } from '../../src/messaging/kafka-bus';
import { Topics, topicName } from '../../src/messaging/contracts';
import { createTestTopics, eventually, testTopicPrefix, uniqueId } from '../../src/testing';
import { startTelemetry } from '../../src/telemetry';
import { KAFKA_BROKERS, testLogger } from '../support/env';

const prefix = testTopicPrefix();
const orderEvents = topicName(prefix, Topics.orderEvents);
let bus: KafkaBus;
// A context manager, so the active span survives awaits (what a service gets from telemetry).
const telemetry = startTelemetry({ serviceName: 'shared-test', inMemory: true });

beforeAll(async () => {
  bus = new KafkaBus({ brokers: KAFKA_BROKERS, clientId: 'shared-test', logger: testLogger });
  await bus.connect();
  await createTestTopics(bus, prefix);
});

afterAll(async () => {
  await bus.disconnect();
  await telemetry.shutdown();
});

function cancelled(orderId: string) {
  return createEnvelope('order.cancelled', orderId, { order_id: orderId, user_id: 'u-1', reason: 'test' });
}

describe('KafkaBus', () => {
  it('creating topics twice is harmless', async () => {
    await expect(createTestTopics(bus, prefix)).resolves.toHaveLength(5);
  });

  it('delivers envelopes keyed by envelope key, in order per key, with type and traceparent headers', async () => {
    const received: Array<{ envelope: AnyEnvelope; meta: MessageMeta }> = [];
    const sub = await bus.subscribe({
      groupId: uniqueId('g'),
      topics: [orderEvents],
      fromBeginning: true,
      handle: async (envelope, meta) => {
        received.push({ envelope, meta });
      },
    });

    const orderId = uniqueId('order');
    const traceId = 'a'.repeat(31) + '1';
    const parent = trace.setSpanContext(context.active(), { traceId, spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED });
    const envelopes = context.with(parent, () => [1, 2, 3, 4, 5].map(() => cancelled(orderId)));
    await bus.publish(orderEvents, envelopes);

    await eventually(() => expect(received).toHaveLength(5), { timeoutMs: 30000 });
    expect(received.map((r) => r.envelope.id)).toEqual(envelopes.map((e) => e.id));
    expect(new Set(received.map((r) => r.meta.partition)).size).toBe(1);
    const first = received[0];
    expect(first.envelope).toEqual(envelopes[0]);
    expect(first.meta.headers.type).toBe('order.cancelled');
    expect(first.meta.headers.traceparent).toBe(`00-${traceId}-${'b'.repeat(16)}-01`);
    expect(first.envelope.traceparent).toBe(first.meta.headers.traceparent);
    await sub.stop();
  });

  it('restores the producer trace around the handler', async () => {
    const traceByEvent = new Map<string, string | undefined>();
    const sub = await bus.subscribe({
      groupId: uniqueId('g'),
      topics: [orderEvents],
      fromBeginning: true,
      handle: async (envelope) => {
        traceByEvent.set(envelope.id, trace.getActiveSpan()?.spanContext().traceId);
      },
    });
    const traceId = 'c'.repeat(31) + '2';
    const parent = trace.setSpanContext(context.active(), { traceId, spanId: 'd'.repeat(16), traceFlags: TraceFlags.SAMPLED });
    const envelope = context.with(parent, () => cancelled(uniqueId('order')));
    await bus.publish(orderEvents, [envelope]);
    await eventually(() => expect(traceByEvent.get(envelope.id)).toBe(traceId), { timeoutMs: 30000 });
    await sub.stop();
    // The consumer span is recorded as a child of the producer's trace.
    const spans = telemetry.memoryExporter!.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    expect(spans.map((s) => s.name)).toContain(`${orderEvents} process`);
  });

  it('retries a failing handler with backoff without skipping, then moves on', async () => {
    const topic = topicName(prefix, Topics.paymentEvents);
    const attempts = new Map<string, number>();
    const handled: string[] = [];
    const flaky = createEnvelope('payment.voided', 'o-flaky', { payment_id: null, order_id: 'o-flaky', reason: 'x' });
    const after = createEnvelope('payment.voided', 'o-flaky', { payment_id: null, order_id: 'o-flaky', reason: 'y' });
    const sub = await bus.subscribe({
      groupId: uniqueId('g'),
      topics: [topic],
      fromBeginning: true,
      retry: { initialMs: 20, maxMs: 100 },
      handle: async (envelope) => {
        const n = (attempts.get(envelope.id) ?? 0) + 1;
        attempts.set(envelope.id, n);
        if (envelope.id === flaky.id && n < 4) throw new Error(`transient failure ${n}`);
        handled.push(envelope.id);
      },
    });
    await bus.publish(topic, [flaky, after]);
    await eventually(() => expect(handled).toEqual([flaky.id, after.id]), { timeoutMs: 30000 });
    expect(attempts.get(flaky.id)).toBe(4);
    expect(attempts.get(after.id)).toBe(1);
    await sub.stop();
  });

  it('logs and skips a malformed message without stopping the partition', async () => {
    const topic = topicName(prefix, Topics.inventoryEvents);
    const handled: string[] = [];
    const sub = await bus.subscribe({
      groupId: uniqueId('g'),
      topics: [topic],
      fromBeginning: true,
      handle: async (envelope) => {
        handled.push(envelope.id);
      },
    });
    // A foreign producer writing garbage to the same partition (same key) as a good message.
    const raw = new Kafka({ clientId: 'shared-test-raw', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING }).producer();
    await raw.connect();
    await raw.send({
      topic,
      messages: [
        { key: 'p-1', value: 'not json' },
        { key: 'p-1', value: JSON.stringify({ id: 'x' }) },
      ],
    });
    await raw.disconnect();
    const good = createEnvelope('product.deleted', 'p-1', { product_id: 'p-1' });
    await bus.publish(topic, [good]);
    await eventually(() => expect(handled).toEqual([good.id]), { timeoutMs: 30000 });
    await sub.stop();
  });

  it('does not redeliver what a stopped group already handled, and resumes after it', async () => {
    const topic = topicName(prefix, Topics.inventoryCommands);
    const groupId = uniqueId('g');
    const firstRun: string[] = [];
    const sub1 = await bus.subscribe({ groupId, topics: [topic], fromBeginning: true, handle: async (e) => void firstRun.push(e.id) });
    const a = createEnvelope('inventory.confirm', 'o-a', { order_id: 'o-a' });
    await bus.publish(topic, [a]);
    await eventually(() => expect(firstRun).toEqual([a.id]), { timeoutMs: 30000 });
    await sub1.stop();

    const b = createEnvelope('inventory.confirm', 'o-b', { order_id: 'o-b' });
    await bus.publish(topic, [b]);
    const secondRun: string[] = [];
    const sub2 = await bus.subscribe({ groupId, topics: [topic], fromBeginning: true, handle: async (e) => void secondRun.push(e.id) });
    await eventually(() => expect(secondRun).toEqual([b.id]), { timeoutMs: 30000 });
    await sub2.stop();
  });
});

describe('KafkaBus batches (handleBatch)', () => {
  // Topics of their own: each case publishes before it subscribes, so its messages are fetched together.
  const batchPrefix = testTopicPrefix();
  beforeAll(async () => {
    await createTestTopics(bus, batchPrefix);
  });

  const traceIdOf = (n: number) => n.toString(16).padStart(32, 'e');
  function underTrace<T>(n: number, fn: () => T): T {
    const parent = trace.setSpanContext(context.active(), { traceId: traceIdOf(n), spanId: 'f'.repeat(16), traceFlags: TraceFlags.SAMPLED });
    return context.with(parent, fn);
  }

  it('hands messages fetched together to handleBatch, in order, each within its own trace', async () => {
    const topic = topicName(batchPrefix, Topics.orderEvents);
    const orderId = uniqueId('order');
    const envelopes = [1, 2, 3, 4, 5, 6].map((n) => underTrace(n, () => cancelled(orderId)));
    await bus.publish(topic, envelopes);

    const batches: string[][] = [];
    const singles: string[] = [];
    const traceIds = new Map<string, string | undefined>();
    const sub = await bus.subscribe({
      groupId: uniqueId('g'),
      topics: [topic],
      fromBeginning: true,
      handle: async (envelope) => {
        singles.push(envelope.id);
        traceIds.set(envelope.id, trace.getActiveSpan()?.spanContext().traceId);
      },
      handleBatch: async (items) => {
        batches.push(items.map((i) => i.envelope.id));
        for (const item of items) item.within(() => traceIds.set(item.envelope.id, trace.getActiveSpan()?.spanContext().traceId));
      },
    });
    await eventually(() => expect(batches.flat().length + singles.length).toBe(6), { timeoutMs: 30000 });
    await sub.stop();
    // Published before the group joined, they come in one fetch: at least some of them together.
    expect(batches.some((b) => b.length > 1)).toBe(true);
    expect(batches.every((b) => b.length > 1)).toBe(true);
    // Nothing twice, nothing out of order (a batch and the singles between batches, in offset order).
    const seen = [...batches.flat(), ...singles];
    expect(new Set(seen).size).toBe(6);
    expect([...envelopes.map((e) => e.id)].sort()).toEqual([...seen].sort());
    for (const batch of batches) expect(batch).toEqual(envelopes.map((e) => e.id).filter((id) => batch.includes(id)));
    envelopes.forEach((e, n) => expect(traceIds.get(e.id)).toBe(traceIdOf(n + 1)));
    // Each batch has a span of its own (its statements' parent), linked to its messages' spans.
    const finished = telemetry.memoryExporter!.getFinishedSpans();
    const batchSpans = finished.filter((s) => s.name === `${topic} process batch`);
    expect(batchSpans).toHaveLength(batches.length);
    const linkedTraces = batchSpans.flatMap((s) => s.links.map((l) => l.context.traceId));
    expect(linkedTraces.sort()).toEqual(
      batches
        .flat()
        .map((id) => traceIds.get(id))
        .sort(),
    );
  });

  it('hands each message of a batch its handler failed on to handle, one at a time and in order', async () => {
    const topic = topicName(batchPrefix, Topics.paymentEvents);
    const orderId = uniqueId('order');
    const envelopes = [1, 2, 3, 4].map((n) => createEnvelope('payment.voided', orderId, { payment_id: null, order_id: orderId, reason: `r${n}` }));
    await bus.publish(topic, envelopes);

    let batchCalls = 0;
    const handled: string[] = [];
    const sub = await bus.subscribe({
      groupId: uniqueId('g'),
      topics: [topic],
      fromBeginning: true,
      handle: async (envelope) => {
        handled.push(envelope.id);
      },
      handleBatch: async () => {
        batchCalls++;
        throw new Error('the batch path is broken');
      },
    });
    await eventually(() => expect(handled).toEqual(envelopes.map((e) => e.id)), { timeoutMs: 30000 });
    await sub.stop();
    expect(batchCalls).toBeGreaterThan(0);
  });

  it('handles a batch with a malformed message one message at a time, skipping only that one', async () => {
    const topic = topicName(batchPrefix, Topics.inventoryEvents);
    const first = createEnvelope('product.deleted', 'p-2', { product_id: 'p-2' });
    const last = createEnvelope('product.deleted', 'p-2', { product_id: 'p-2' });
    const raw = new Kafka({ clientId: 'shared-test-raw', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING }).producer();
    await raw.connect();
    await raw.send({
      topic,
      messages: [
        { key: 'p-2', value: JSON.stringify(first) },
        { key: 'p-2', value: 'not json' },
        { key: 'p-2', value: JSON.stringify(last) },
      ],
    });
    await raw.disconnect();

    const inBatches: string[] = [];
    const handled: string[] = [];
    const sub = await bus.subscribe({
      groupId: uniqueId('g'),
      topics: [topic],
      fromBeginning: true,
      handle: async (envelope) => {
        handled.push(envelope.id);
      },
      handleBatch: async (items) => {
        inBatches.push(...items.map((i) => i.envelope.id));
      },
    });
    await eventually(() => expect([...inBatches, ...handled].sort()).toEqual([first.id, last.id].sort()), { timeoutMs: 30000 });
    await sub.stop();
    // Fetched together with the garbage, they went one by one.
    expect(handled).toEqual([first.id, last.id]);
  });

  it('gathers what arrives while a fetch waits (gather), for a consumer that can wait', async () => {
    // Published one at a time after the group joined: without gather each is fetched as it
    // comes; with it, the broker holds a fetch until its wait is over (far below minBytes here).
    const topic = topicName(batchPrefix, Topics.paymentCommands);
    const orderId = uniqueId('order');
    const batches: number[] = [];
    const handled: string[] = [];
    const sub = await bus.subscribe({
      groupId: uniqueId('g'),
      topics: [topic],
      fromBeginning: true,
      gather: { maxWaitMs: 400, minBytes: 1024 * 1024 },
      handle: async (envelope) => {
        handled.push(envelope.id);
      },
      handleBatch: async (items) => {
        batches.push(items.length);
        handled.push(...items.map((i) => i.envelope.id));
      },
    });
    const envelopes = [1, 2, 3, 4, 5, 6].map(() => cancelled(orderId));
    for (const e of envelopes) {
      await bus.publish(topic, [e]);
      await new Promise((r) => setTimeout(r, 40));
    }
    await eventually(() => expect(handled).toEqual(envelopes.map((e) => e.id)), { timeoutMs: 30000 });
    await sub.stop();
    // Six messages over ~250 ms, fetches held for 400 ms: at least two came in one fetch.
    expect(Math.max(0, ...batches)).toBeGreaterThan(1);
  });
});
