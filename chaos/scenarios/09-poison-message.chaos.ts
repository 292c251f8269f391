// Poison messages on the partitions of orders in flight: a foreign producer writes, mid-stream,
// payloads no consumer can parse (garbage, and an envelope without a valid id) to every topic a
// service consumes, keyed like the saga's own messages so they land on the same partitions.
// Every consumer parks them (parked_messages of its own database, kafka_messages_parked_total)
// and moves on: the orders hashed to those partitions still end, and the checker finds nothing.
// An operator then sees them through each service's admin endpoint, cannot retry what still
// does not parse, and discards them with a reason (the audit keeps who and why).
import { Kafka, logLevel } from 'kafkajs';
import { Caller } from '../../tests/e2e/test/load';
import type { ServiceName } from '../../tests/e2e/test/platform';
import { sleep, startChaosRun, type ChaosRun } from '../src/harness';

// Which service's consumers read each topic (live feeds read some too, but never park).
const CONSUMERS: Record<string, ServiceName[]> = {
  'inventory.commands': ['inventory'],
  'payment.commands': ['payment'],
  'inventory.events': ['order', 'cart'],
  'payment.events': ['order'],
  'order.events': ['cart'],
};
const PREFIX_OF: Record<ServiceName, string> = {
  inventory: '/api/v1/products',
  cart: '/api/v1/carts',
  order: '/api/v1/orders',
  payment: '/api/v1/payments',
};

interface ParkedItem {
  id: string;
  topic: string;
  status: string;
  raw_value: string | null;
  error: { class: string };
}

let run: ChaosRun;
beforeAll(async () => {
  // A short budget, so a handler failure would park within the run too (unparseable ones park at once).
  run = await startChaosRun('poison-message', { commonEnv: { KAFKA_MAX_ATTEMPTS: '3', KAFKA_RETRY_BASE_MS: '50', KAFKA_RETRY_MAX_MS: '500' } });
}, 180_000);
afterAll(async () => {
  await run?.close();
});

test('poison messages on live partitions are parked by every consumer, orders still end, and an operator discards them', async () => {
  const operator = new Caller(run.platform, { sub: 'chaos-operator', role: 'admin' });
  const load = run.startLoad({ durationMs: 40_000, concurrency: 8 });
  await sleep(10_000);
  const inFlight = await run.query<{ order_id: string }>('order', `SELECT order_id::text FROM orders WHERE status IN ('pending', 'under_paying') LIMIT 5`);
  const keys = inFlight.map((o) => o.order_id);
  if (keys.length === 0) keys.push(...run.products.map((p) => p.id));
  run.say(`poisoning the partitions of ${keys.length} orders in flight`);

  const kafka = new Kafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), clientId: 'chaos-poison', logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const expected: Record<ServiceName, number> = { inventory: 0, cart: 0, order: 0, payment: 0 };
  try {
    for (const [topic, services] of Object.entries(CONSUMERS)) {
      const messages = keys.flatMap((key) => [
        { key, value: `poison for ${key}: {not json` },
        { key, value: JSON.stringify({ id: 'not-a-uuid', type: 'stock.reserved', key, data: { order_id: key } }) },
      ]);
      await producer.send({ topic: `${run.platform.topicPrefix}${topic}`, messages });
      for (const s of services) expected[s] += messages.length;
    }
  } finally {
    await producer.disconnect();
  }
  const result = await load;

  // Every consumer parked what it got, as it got it.
  const parkedBy = async (service: ServiceName): Promise<ParkedItem[]> => {
    const r = await operator.call(service, 'GET', `${PREFIX_OF[service]}/admin/parked-messages/?status=parked&limit=200`);
    if (r.status !== 200) throw new Error(`${service} parked list: ${r.status} ${JSON.stringify(r.body)}`);
    return (r.body as { items: ParkedItem[] }).items.filter((i) => i.topic.startsWith(run.platform.topicPrefix));
  };
  const parked: Partial<Record<ServiceName, ParkedItem[]>> = {};
  const deadline = Date.now() + 60_000;
  for (const s of Object.keys(expected) as ServiceName[]) {
    for (;;) {
      parked[s] = await parkedBy(s);
      if (parked[s].length >= expected[s] || Date.now() > deadline) break;
      await sleep(1_000);
    }
  }
  const metrics: Partial<Record<ServiceName, number>> = {};
  for (const s of Object.keys(expected) as ServiceName[]) {
    const text = await (await fetch(`${run.platform.httpUrl(s)}/metrics`)).text();
    metrics[s] = text
      .split('\n')
      .filter((l) => l.startsWith('kafka_messages_parked_total{') && l.includes(run.platform.topicPrefix))
      .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  }

  const report = await run.verdict(result, {
    poisoned_keys: keys.length,
    parked_expected: expected,
    parked: Object.fromEntries(Object.entries(parked).map(([s, items]) => [s, items.length])),
    kafka_messages_parked_total: metrics,
  });
  for (const s of Object.keys(expected) as ServiceName[]) {
    expect({ service: s, parked: parked[s]!.length }).toEqual({ service: s, parked: expected[s] });
    expect({ service: s, metric: metrics[s] }).toEqual({ service: s, metric: expected[s] });
    expect(parked[s]!.every((i) => i.error.class === 'unparseable' && i.raw_value !== null)).toBe(true);
  }
  // The partitions moved on: every order of the run ended, with nothing broken.
  expect(report.violations).toEqual([]);
  expect(Object.keys(result.errors).filter((k) => / 500\b/.test(k))).toEqual([]);

  // The operator's side: what does not parse cannot be retried; discarding keeps who and why.
  const [first] = parked.order!;
  const retry = await operator.call('order', 'POST', `${PREFIX_OF.order}/admin/parked-messages/${first.id}/retry`, { note: 'chaos' });
  expect(retry.status).toBe(422);
  expect((retry.body as { error: { code: string } }).error.code).toBe('PARKED_MESSAGE_UNPARSEABLE');
  for (const s of Object.keys(expected) as ServiceName[]) {
    for (const item of parked[s]!) {
      const r = await operator.call(s, 'POST', `${PREFIX_OF[s]}/admin/parked-messages/${item.id}/discard`, {
        reason: 'chaos poison: foreign producer garbage',
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'discarded', resolved_by: 'chaos-operator (admin)', resolution_note: 'chaos poison: foreign producer garbage' });
    }
    expect(await parkedBy(s)).toEqual([]);
  }
});
