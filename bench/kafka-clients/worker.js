// One side of one client's run, as a child process of kafka-clients-bench.js so that /proc gives
// each side's CPU on its own:   node worker.js producer|consumer kafkajs|platformatic
// Talks to the parent over IPC. Env: KC_BROKERS, KC_TOPIC, KC_GROUP.
'use strict';
const { randomUUID } = require('node:crypto');
const { CLIENTS } = require('./clients');

const [role, clientName] = process.argv.slice(2);
const BROKERS = process.env.KC_BROKERS.split(',');
const TOPIC = process.env.KC_TOPIC;
const GROUP = process.env.KC_GROUP;
const client = CLIENTS[clientName]({ brokers: BROKERS, clientId: `bench-kc-${role}` });
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const send = (msg) => process.send(msg);

/** An order event the size of the saga's (~550 bytes of JSON), with the moment it was sent. */
function envelope(phase) {
  const orderId = randomUUID();
  const value = {
    id: randomUUID(),
    type: 'order.stock_reservation_requested',
    version: 1,
    occurred_at: new Date().toISOString(),
    key: orderId,
    traceparent: `00-${randomUUID().replace(/-/g, '')}-${randomUUID().replace(/-/g, '').slice(0, 16)}-01`,
    data: {
      order_id: orderId,
      items: [
        { product_id: randomUUID(), quantity: 2, unit_price: '19.90' },
        { product_id: randomUUID(), quantity: 1, unit_price: '5.00' },
      ],
      phase,
      sent_at: now(),
    },
  };
  return { key: orderId, value: JSON.stringify(value), headers: { type: value.type, 'event-id': value.id, traceparent: value.traceparent } };
}

async function runProducer() {
  const producer = await client.producer();
  // Phases: warmup (as fast as possible, one message per send), trickle (`rate` messages/s in
  // sends of 1 and 2 messages alternately, one send at a time, as the outbox relay publishes),
  // saturation (as fast as possible, one in-flight send of one message).
  const run = async ({ phase, seconds, rate }) => {
    const start = now();
    const end = start + seconds * 1000;
    let sent = 0;
    let sends = 0;
    while (now() < end) {
      const size = phase === 'trickle' ? 1 + (sends % 2) : 1;
      const batch = [];
      for (let i = 0; i < size; i++) batch.push(envelope(phase));
      await producer.send(TOPIC, batch);
      sent += size;
      sends++;
      if (phase === 'trickle') {
        const due = start + (sent * 1000) / rate;
        const wait = due - now();
        if (wait > 0) await sleep(wait);
      }
    }
    return { sent, sends, elapsedMs: now() - start };
  };
  process.on('message', (msg) => {
    if (msg.cmd === 'run') run(msg).then((r) => send({ cmd: 'ran', phase: msg.phase, ...r }), fail);
    else if (msg.cmd === 'close') producer.close().then(() => process.exit(0), fail);
  });
  send({ cmd: 'ready' });
}

async function runConsumer() {
  await client.ensureTopics([TOPIC], 3);
  const phases = new Map(); // phase → { ids: Set, latencies: [] }
  const pending = new Map(); // `${topic}:${partition}` → commit entry
  let waiter;
  const stats = (phase) => {
    let s = phases.get(phase);
    if (!s) phases.set(phase, (s = { ids: new Set(), latencies: [], received: 0 }));
    return s;
  };
  const handle = async (topic, partition, value, headers) => {
    // The handler's own work is the same for both clients: the envelope parsed, its headers read.
    const e = JSON.parse(value);
    if (headers['event-id'] !== e.id || headers.type !== e.type) throw new Error('headers do not match the envelope');
    const s = stats(e.data.phase);
    s.received++;
    s.ids.add(e.id);
    s.latencies.push(now() - e.data.sent_at);
    await Promise.resolve();
    if (waiter && stats(waiter.phase).ids.size >= waiter.count) {
      const w = waiter;
      waiter = undefined;
      w.resolve();
    }
  };
  const consumer = await client.consumer({ groupId: GROUP, topics: [TOPIC], partitionsConcurrently: 3, handle });
  consumer.onHandled = (topic, partition, offset, leaderEpoch) => pending.set(`${topic}:${partition}`, { topic, partition, offset, leaderEpoch });
  // Offsets handled are committed at most once a second, one request, as kafka-bus.ts's OffsetCommits.
  let committing = Promise.resolve();
  let commits = 0;
  const commit = () => {
    committing = committing.then(async () => {
      if (pending.size === 0) return;
      const offsets = [...pending.values()];
      pending.clear();
      commits++;
      await consumer.commit(offsets).catch((err) => console.error('commit failed', err.message));
    });
    return committing;
  };
  const timer = setInterval(() => void commit(), 1000);
  await consumer.joined;
  process.on('message', (msg) => {
    if (msg.cmd === 'await') {
      const report = () => {
        const s = stats(msg.phase);
        const sorted = Float64Array.from(s.latencies).sort();
        const pct = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
        send({ cmd: 'consumed', phase: msg.phase, received: s.received, distinct: s.ids.size, p50: pct(50), p99: pct(99), commits });
      };
      if (stats(msg.phase).ids.size >= msg.count) report();
      else {
        const timeout = setTimeout(() => {
          waiter = undefined;
          report();
        }, 30000);
        waiter = {
          phase: msg.phase,
          count: msg.count,
          resolve: () => {
            clearTimeout(timeout);
            report();
          },
        };
      }
    } else if (msg.cmd === 'close') {
      clearInterval(timer);
      commit()
        .then(() => consumer.close())
        .then(() => process.exit(0), fail);
    }
  });
  send({ cmd: 'ready' });
}

function fail(err) {
  console.error(`${clientName} ${role}:`, err);
  process.exit(1);
}

(role === 'producer' ? runProducer() : runConsumer()).catch(fail);
