import { context, trace, TraceFlags } from '@opentelemetry/api';
import { ALL_TOPICS, Topics, topicName } from '../../src/messaging/contracts';
import { createEnvelope, MalformedEnvelopeError, parseEnvelope } from '../../src/messaging/envelope';
import { insertOutboxSql, outboxRow, OUTBOX_NOTIFY_SQL } from '../../src/messaging/outbox';
import { contextFromTraceparent, currentTraceparent } from '../../src/messaging/trace-context';
import { createTestTopics, eventually, testToken, testTopicPrefix, TEST_JWT_SECRET, uniqueId } from '../../src/testing';
import { createTokenVerifier } from '../../src/auth';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('createEnvelope / parseEnvelope', () => {
  it('builds an envelope with a fresh id, version 1 and the time of creation', () => {
    const e = createEnvelope('stock.confirmed', 'o-1', { order_id: 'o-1' });
    expect(e.id).toMatch(UUID);
    expect(e).toMatchObject({ type: 'stock.confirmed', version: 1, key: 'o-1', data: { order_id: 'o-1' } });
    expect(Date.parse(e.occurred_at)).toBeGreaterThan(Date.now() - 5000);
    expect(e.traceparent).toBeUndefined();
  });

  it('honours explicit version, id and traceparent', () => {
    const traceparent = `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`;
    const e = createEnvelope('product.deleted', 'p-1', { product_id: 'p-1' }, { version: 2, id: '00000000-0000-4000-8000-000000000001', traceparent });
    expect(e).toMatchObject({ version: 2, id: '00000000-0000-4000-8000-000000000001', traceparent });
  });

  it('round-trips through JSON', () => {
    const e = createEnvelope('payment.voided', 'o-1', { payment_id: null, order_id: 'o-1', reason: 'timeout' });
    expect(parseEnvelope(Buffer.from(JSON.stringify(e)))).toEqual(e);
    expect(parseEnvelope(JSON.stringify(e))).toEqual(e);
  });

  it.each([
    ['empty', null],
    ['not JSON', '{'],
    ['an array', '[]'],
    ['no id', JSON.stringify({ type: 'x', version: 1, occurred_at: new Date().toISOString(), key: 'k', data: {} })],
    ['a bad date', JSON.stringify({ id: '00000000-0000-4000-8000-000000000001', type: 'x', version: 1, occurred_at: 'yesterday', key: 'k', data: {} })],
    [
      'data not an object',
      JSON.stringify({ id: '00000000-0000-4000-8000-000000000001', type: 'x', version: 1, occurred_at: new Date().toISOString(), key: 'k', data: 3 }),
    ],
  ])('refuses %s', (_name, value) => {
    expect(() => parseEnvelope(value)).toThrow(MalformedEnvelopeError);
  });
});

describe('trace context', () => {
  it('takes traceparent from the active span', () => {
    const spanContext = { traceId: 'f'.repeat(32), spanId: 'e'.repeat(16), traceFlags: TraceFlags.SAMPLED };
    const ctx = trace.setSpanContext(context.active(), spanContext);
    expect(currentTraceparent(ctx)).toBe(`00-${'f'.repeat(32)}-${'e'.repeat(16)}-01`);
    expect(trace.getSpanContext(contextFromTraceparent(currentTraceparent(ctx)))).toMatchObject({ traceId: 'f'.repeat(32), isRemote: true });
  });

  it('ignores a malformed traceparent', () => {
    expect(trace.getSpanContext(contextFromTraceparent('garbage'))).toBeUndefined();
    expect(currentTraceparent()).toBeUndefined();
  });
});

describe('outbox helpers', () => {
  const e1 = createEnvelope('stock.confirmed', 'o-1', { order_id: 'o-1' });
  const e2 = createEnvelope('stock.released', 'o-1', { order_id: 'o-1', reason: 'cancelled' });

  it('outboxRow carries the unprefixed topic and the whole envelope', () => {
    expect(outboxRow(Topics.inventoryEvents, e1)).toEqual({ eventId: e1.id, topic: 'inventory.events', key: 'o-1', type: 'stock.confirmed', payload: e1 });
  });

  it('insertOutboxSql builds one multi-row insert', () => {
    const { text, values } = insertOutboxSql([e1, e2], Topics.inventoryEvents);
    expect(text).toBe('INSERT INTO outbox (event_id, topic, key, type, payload) VALUES ($1::uuid, $2, $3, $4, $5::jsonb), ($6::uuid, $7, $8, $9, $10::jsonb)');
    expect(values).toEqual([
      e1.id,
      'inventory.events',
      'o-1',
      'stock.confirmed',
      JSON.stringify(e1),
      e2.id,
      'inventory.events',
      'o-1',
      'stock.released',
      JSON.stringify(e2),
    ]);
    expect(() => insertOutboxSql([], Topics.inventoryEvents)).toThrow();
  });

  it('OUTBOX_NOTIFY_SQL notifies the outbox channel once per insert statement', () => {
    expect(OUTBOX_NOTIFY_SQL).toContain("pg_notify(''outbox'', '''')");
    expect(OUTBOX_NOTIFY_SQL).toMatch(/AFTER INSERT ON outbox FOR EACH STATEMENT/);
  });

  it('OUTBOX_NOTIFY_SQL survives prisma migrate deploy, which splits a script at every semicolon', () => {
    const statements = OUTBOX_NOTIFY_SQL.split(';')
      .map((s) => s.trim())
      .filter(Boolean);
    expect(statements.map((s) => s.split(/\s+/).slice(0, 2).join(' '))).toEqual(['CREATE OR', 'DROP TRIGGER', 'CREATE TRIGGER']);
  });
});

describe('testing helpers', () => {
  it('testTopicPrefix is t-<8 hex>. and prefixes every topic', async () => {
    const prefix = testTopicPrefix();
    expect(prefix).toMatch(/^t-[0-9a-f]{8}\.$/);
    const created: string[][] = [];
    const topics = await createTestTopics({ ensureTopics: async (t) => void created.push(t) }, prefix);
    expect(topics).toEqual(ALL_TOPICS.map((t) => topicName(prefix, t)));
    expect(created).toEqual([topics]);
  });

  it('testToken signs with TEST_JWT_SECRET by default', async () => {
    const saved = process.env.JWT_SECRET;
    delete process.env.JWT_SECRET;
    try {
      const user = await createTokenVerifier({ secret: TEST_JWT_SECRET })(testToken({ sub: 's-1', role: 'seller', store_id: 'st-1' }));
      expect(user).toEqual({ id: 's-1', role: 'seller', storeId: 'st-1' });
    } finally {
      if (saved !== undefined) process.env.JWT_SECRET = saved;
    }
  });

  it('uniqueId is prefixed and unique', () => {
    const ids = new Set(Array.from({ length: 100 }, () => uniqueId('sku')));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^sku-[0-9a-f]{10}$/);
  });

  it('eventually retries until the assertion holds, and rethrows the last failure after the timeout', async () => {
    let n = 0;
    await expect(
      eventually(
        () => {
          n++;
          expect(n).toBe(3);
          return n;
        },
        { intervalMs: 1 },
      ),
    ).resolves.toBe(3);
    await expect(eventually(() => expect(1).toBe(2), { timeoutMs: 30, intervalMs: 5 })).rejects.toThrow();
  });
});
