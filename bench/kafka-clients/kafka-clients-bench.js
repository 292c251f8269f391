#!/usr/bin/env node
// Kafka client benchmark (not a test): does @platformatic/kafka cost less CPU per message than
// kafkajs for our workload? The workload is the messaging port's (packages/shared/src/messaging/
// kafka-bus.ts): an idempotent producer (acks -1, one request in flight) sending JSON envelopes
// with a key and 3 headers; a consumer group (session 10 s, heartbeat 1 s, fetch wait 100 ms,
// 3 partitions handled concurrently, autocommit off, handled offsets committed at most once a
// second). Each client's run uses a fresh topic of 3 partitions and a fresh group, and two child
// processes (worker.js), a producer and a consumer, so /proc gives each side's CPU:
//   warmup      as fast as possible for BENCH_WARMUP_SECONDS, not measured;
//   trickle     BENCH_RATE messages/s in sends of 1 and 2 messages alternately, one send at a
//               time (what the outbox relay does at checkout rates), for BENCH_SECONDS;
//   saturation  as fast as possible, one in-flight send of one message, for BENCH_SECONDS.
// Each phase's window runs from the first send to the consumer having handled the last message.
// Printed per phase: producer, consumer and broker (the Kafka JVM) CPU ms per message, the
// produce → handled latency p50/p99, each side's socket reads and writes (system calls, from
// /proc/<pid>/io: the part of the cost that the machine's load does not blur) per message and,
// for saturation, messages/s; then each client's mean over
// its runs side by side with the ratio. The clients run in the order BENCH_ORDER (A B B A by
// default, so a drift in the machine's speed weighs on both alike).
//   node bench/kafka-clients/kafka-clients-bench.js      (or: npm run bench -- kafka-clients)
// Knobs: BENCH_SECONDS (20), BENCH_RATE (150), BENCH_WARMUP_SECONDS (3),
// BENCH_ORDER (kafkajs,platformatic,platformatic,kafkajs; a third client, kafkajs-fixed, is
// kafkajs with its idle timer loop fixed, see clients.js), KAFKA_BROKERS (127.0.0.1:9092),
// KAFKA_CLIENTS_DIR (.local/peers/kafka-clients: where run.sh installed @platformatic/kafka),
// BENCH_RESULT_FILE (a path: every run's figures as JSON too).
'use strict';
const { fork } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { cpuMs, machineCpuMs } = require('../order/process-stats');

const ROOT = path.resolve(__dirname, '../..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const RATE = Number(process.env.BENCH_RATE ?? 150);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 5);
const ORDER = (process.env.BENCH_ORDER ?? 'kafkajs,platformatic,platformatic,kafkajs').split(',');
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const RESULT_FILE = process.env.BENCH_RESULT_FILE;
const PREFIX = `bench.kc.${randomBytes(3).toString('hex')}.`;
const PHASES = ['trickle', 'saturation'];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Read and write system calls and bytes of a process so far (/proc/<pid>/io): its socket traffic here. */
function io(pid) {
  const out = {};
  for (const line of readFileSync(`/proc/${pid}/io`, 'utf8').split('\n')) {
    const [k, v] = line.split(': ');
    if (v !== undefined) out[k] = Number(v);
  }
  return out;
}

function kafkaPid() {
  const file = path.join(ROOT, '.local', 'kafka', 'kafka.pid');
  if (!existsSync(file)) throw new Error(`no ${file}: is the platform up (bash scripts/platform.sh up)?`);
  return Number(readFileSync(file, 'utf8').trim());
}

/** The next IPC message `cmd` from the child (rejects if it exits first). */
function reply(child, cmd) {
  return new Promise((resolve, reject) => {
    const onMessage = (msg) => {
      if (msg.cmd !== cmd) return;
      cleanup();
      resolve(msg);
    };
    const onExit = (code) => {
      cleanup();
      reject(new Error(`worker exited with ${code} while waiting for ${cmd}`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function worker(role, client, env) {
  const child = fork(path.join(__dirname, 'worker.js'), [role, client], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return { child, ready: reply(child, 'ready') };
}

async function runClient(client, n) {
  const id = `${PREFIX}${client}.${n}`;
  const env = { ...process.env, KC_BROKERS: BROKERS, KC_TOPIC: `${id}.events`, KC_GROUP: `${id}.group` };
  // The broker's CPU with none of this run's clients connected: what other users of the
  // platform's Kafka (tests, services) cost it meanwhile, subtracted in the "less background" rows.
  const broker = kafkaPid();
  const bg0 = cpuMs(broker);
  await sleep(IDLE_SECONDS * 1000);
  const background = (cpuMs(broker) - bg0) / IDLE_SECONDS;
  // The consumer first: it creates the topic and joins the group before anything is sent.
  const consumer = worker('consumer', client, env);
  await consumer.ready;
  const producer = worker('producer', client, env);
  await producer.ready;
  const ask = async (phase) => {
    const ran = reply(producer.child, 'ran');
    producer.child.send({ cmd: 'run', phase, seconds: phase === 'warmup' ? WARMUP_SECONDS : SECONDS, rate: RATE });
    const r = await ran;
    const consumed = reply(consumer.child, 'consumed');
    consumer.child.send({ cmd: 'await', phase, count: r.sent });
    return { ...r, ...(await consumed) };
  };
  let commitsSoFar = (await ask('warmup')).commits;
  const out = { client, label: undefined, run: n, background };
  const pids = { producer: producer.child.pid, consumer: consumer.child.pid, broker };
  const cpuNow = () => Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  // Connected and idle: heartbeats, metadata and the consumer's empty fetches every 100 ms, plus
  // whatever else the broker serves meanwhile (other users of this machine's Kafka).
  const idle0 = cpuNow();
  await sleep(IDLE_SECONDS * 1000);
  const idle1 = cpuNow();
  out.idle = Object.fromEntries(Object.keys(pids).map((k) => [k, (idle1[k] - idle0[k]) / IDLE_SECONDS]));
  for (const phase of PHASES) {
    const cpu0 = cpuNow();
    const io0 = { producer: io(pids.producer), consumer: io(pids.consumer) };
    const commitsBefore = commitsSoFar;
    const busy0 = machineCpuMs().busy;
    const t0 = performance.now();
    const r = await ask(phase);
    commitsSoFar = r.commits;
    const wallMs = performance.now() - t0;
    const busy = machineCpuMs().busy - busy0;
    const cpu1 = cpuNow();
    const io1 = { producer: io(pids.producer), consumer: io(pids.consumer) };
    const perMessage = (side, k) => (io1[side][k] - io0[side][k]) / r.sent;
    const cpu = Object.fromEntries(Object.keys(pids).map((k) => [k, cpu1[k] - cpu0[k]]));
    if (r.distinct < r.sent) console.error(`  ${client} ${phase}: only ${r.distinct} of ${r.sent} messages consumed within 30 s`);
    out[phase] = {
      sent: r.sent,
      consumed: r.distinct,
      perSecond: r.sent / (r.elapsedMs / 1000),
      producerMs: cpu.producer / r.sent,
      consumerMs: cpu.consumer / r.sent,
      brokerMs: cpu.broker / r.sent,
      brokerNetMs: Math.max(0, cpu.broker - (background * wallMs) / 1000) / r.sent,
      p50: r.p50,
      p99: r.p99,
      commits: r.commits - commitsBefore,
      // Not noisy, unlike CPU: how many socket writes and reads each side makes per message.
      producerWrites: perMessage('producer', 'syscw'),
      producerReads: perMessage('producer', 'syscr'),
      producerBytes: perMessage('producer', 'wchar'),
      consumerWrites: perMessage('consumer', 'syscw'),
      consumerReads: perMessage('consumer', 'syscr'),
      // Both cores busy = 200%: how much else the machine was doing shows the noise.
      machinePct: (busy / wallMs) * 100,
    };
  }
  const closed = [reply(producer.child, 'never'), reply(consumer.child, 'never')].map((p) => p.catch(() => undefined));
  producer.child.send({ cmd: 'close' });
  consumer.child.send({ cmd: 'close' });
  await Promise.all(closed);
  return out;
}

const f = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const pad = (s, n) => String(s).padStart(n);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

const ROWS = [
  ['messages/s (producer)', 'perSecond', 0],
  ['producer CPU ms/msg', 'producerMs', 3],
  ['consumer CPU ms/msg', 'consumerMs', 3],
  ['clients CPU ms/msg', (r) => r.producerMs + r.consumerMs, 3],
  ['broker CPU ms/msg', 'brokerMs', 3],
  ['  less background', 'brokerNetMs', 3],
  ['total CPU ms/msg', (r) => r.producerMs + r.consumerMs + r.brokerMs, 3],
  ['  less background', (r) => r.producerMs + r.consumerMs + r.brokerNetMs, 3],
  ['latency p50 ms', 'p50', 1],
  ['latency p99 ms', 'p99', 1],
  ['producer writes/msg', 'producerWrites', 2],
  ['producer reads/msg', 'producerReads', 2],
  ['producer bytes sent/msg', 'producerBytes', 0],
  ['consumer writes/msg', 'consumerWrites', 2],
  ['consumer reads/msg', 'consumerReads', 2],
  ['machine busy % (of 200)', 'machinePct', 0],
];
const value = (r, get) => (typeof get === 'function' ? get(r) : r[get]);

function printRun(r) {
  console.log(
    `  ${r.client.padEnd(12)} #${r.run} idle       producer ${f(r.idle.producer, 1)}  consumer ${f(r.idle.consumer, 1)}  broker ${f(r.idle.broker, 1)} ms of CPU per second`,
  );
  for (const phase of PHASES) {
    const p = r[phase];
    console.log(
      `  ${r.client.padEnd(12)} #${r.run} ${phase.padEnd(10)} ${pad(f(p.perSecond, 0), 6)} msg/s  producer ${f(p.producerMs)}  consumer ${f(p.consumerMs)}  broker ${f(p.brokerMs)} (${f(p.brokerNetMs)}) ms/msg  p50 ${f(p.p50, 1)} p99 ${f(p.p99, 1)} ms  writes/msg ${f(p.producerWrites, 2)} + ${f(p.consumerWrites, 2)}  commits ${p.commits}  machine ${f(p.machinePct, 0)}%`,
    );
  }
}

function printTable(runs, labels) {
  const clients = [...new Set(runs.map((r) => r.client))];
  if (clients.length < 2) return;
  const of = (c) => runs.filter((r) => r.client === c);
  const [base, ...others] = clients;
  const W = 22;
  const header = (title) => {
    console.log(`\n${title}  (mean of ${clients.map((c) => of(c).length).join(' + ')} runs)`);
    console.log(
      `${''.padEnd(26)}${clients.map((c) => pad(labels[c], W)).join('')}${others.map((c) => pad(`ratio ${others.length > 1 ? clients.indexOf(c) + 1 : ''}`.trim(), 9)).join('')}`,
    );
  };
  const row = (name, get, d) => {
    const v = clients.map((c) => mean(of(c).map(get)));
    console.log(
      `${name.padEnd(26)}${v.map((x) => pad(f(x, d), W)).join('')}${v
        .slice(1)
        .map((x) => pad(f(x / v[0], 2), 9))
        .join('')}`,
    );
  };
  header('idle, connected, nothing sent: CPU ms per second');
  row('producer', (r) => r.idle.producer, 1);
  row('consumer', (r) => r.idle.consumer, 1);
  row('broker', (r) => r.idle.broker, 1);
  row('broker, none connected', (r) => r.background, 1);
  for (const phase of PHASES) {
    header(phase === 'trickle' ? `trickle: ${RATE} msg/s in sends of 1-2, ${SECONDS} s` : `saturation: one send of 1 message in flight, ${SECONDS} s`);
    for (const [name, get, d] of ROWS) {
      if (phase === 'trickle' && get === 'perSecond') continue;
      row(name, (r) => value(r[phase], get), d);
    }
  }
  console.log(`\nratio = column / ${labels[base]} (below 1: costs less than ${labels[base]}; for messages/s above 1 is faster)`);
}

/** This run's topics are left to nobody: deleted at the end (the groups expire with the broker's retention). */
async function deleteTopics() {
  const { Kafka, logLevel } = require('kafkajs');
  const admin = new Kafka({ clientId: 'bench-kc-cleanup', brokers: [BROKERS], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(PREFIX));
  if (topics.length > 0) await admin.deleteTopics({ topics });
  await admin.disconnect();
}

async function main() {
  console.log(`Kafka clients, our workload: topics ${PREFIX}*, order ${ORDER.join(' ')}, ${SECONDS} s per phase, trickle ${RATE} msg/s`);
  const { CLIENTS } = require('./clients');
  const labels = Object.fromEntries([...new Set(ORDER)].map((c) => [c, CLIENTS[c]({ brokers: [BROKERS], clientId: 'label' }).label]));
  const runs = [];
  const seen = {};
  for (const client of ORDER) {
    seen[client] = (seen[client] ?? 0) + 1;
    const r = await runClient(client, seen[client]);
    r.label = labels[client];
    runs.push(r);
    printRun(r);
  }
  printTable(runs, labels);
  await deleteTopics();
  if (RESULT_FILE) writeFileSync(RESULT_FILE, JSON.stringify({ at: new Date().toISOString(), seconds: SECONDS, rate: RATE, runs }, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
