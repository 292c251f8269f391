// The two Kafka clients behind one small interface, each configured as
// packages/shared/src/messaging/kafka-bus.ts configures kafkajs, so the benchmark measures the
// clients and not their settings. The second adapter is also a sketch of what the messaging port
// would look like over @platformatic/kafka (see the README section "Kafka clients").
//
//   ensureTopics(topics, partitions)     listTopics + createTopics of the missing ones
//   producer() → { send(topic, messages), close() }     messages: { key, value, headers }, all strings
//   consumer({ groupId, topics, partitionsConcurrently, handle }) → { commit(offsets), close() }
//     handle(topic, partition, value, headers) → Promise; each partition in order, up to
//     `partitionsConcurrently` partitions at once; `joined` resolves on the group join event;
//     commit takes [{ topic, partition, offset (bigint: the next to read), leaderEpoch }]
'use strict';
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
/** Where bench/kafka-clients/run.sh installs @platformatic/kafka (outside the workspaces). */
const CLIENT_DIR = path.resolve(ROOT, process.env.KAFKA_CLIENTS_DIR ?? '.local/peers/kafka-clients');

function kafkajsClient({ brokers, clientId }, label = 'kafkajs') {
  const { Kafka, logLevel, Partitioners } = require('kafkajs');
  const version = JSON.parse(readFileSync(require.resolve('kafkajs/package.json'), 'utf8')).version;
  const kafka = new Kafka({ clientId, brokers, logLevel: logLevel.WARN, retry: { initialRetryTime: 100, retries: 8 } });
  return {
    label: `${label} ${version}`,
    async ensureTopics(topics, partitions) {
      const admin = kafka.admin();
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length > 0)
        await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })) });
      await admin.disconnect();
    },
    async producer() {
      const producer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 30000 },
      });
      await producer.connect();
      return {
        send: (topic, messages) => producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] }),
        close: () => producer.disconnect(),
      };
    },
    async consumer({ groupId, topics, partitionsConcurrently, handle }) {
      const consumer = kafka.consumer({
        groupId,
        sessionTimeout: 10000,
        rebalanceTimeout: 20000,
        heartbeatInterval: 1000,
        maxWaitTimeInMs: 100,
        allowAutoTopicCreation: false,
        retry: { initialRetryTime: 100, retries: 10 },
      });
      const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
      const api = {
        joined,
        commit: (offsets) => consumer.commitOffsets(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset: offset.toString() }))),
        close: () => consumer.disconnect(),
        onHandled: undefined,
      };
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: partitionsConcurrently,
        eachMessage: async ({ topic, partition, message }) => {
          const headers = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = Array.isArray(v) ? String(v[0]) : String(v);
          await handle(topic, partition, message.value.toString('utf8'), headers);
          api.onHandled?.(topic, partition, BigInt(message.offset) + 1n, -1);
        },
      });
      return api;
    },
  };
}

function platformaticClient({ brokers, clientId }) {
  // 2.x declares Node >= 22.22 and calls Promise.withResolvers (Node 22) on every request; this
  // machine and the services' image run Node 20. The benchmark supplies the one missing built-in
  // (everything else it uses exists in Node 20.19+, which loads its ES modules through require).
  if (typeof Promise.withResolvers !== 'function') {
    Promise.withResolvers = function withResolvers() {
      let resolve;
      let reject;
      const promise = new Promise((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    };
  }
  const requireFromClientDir = createRequire(path.join(CLIENT_DIR, 'package.json'));
  const kafka = requireFromClientDir('@platformatic/kafka');
  const version = JSON.parse(readFileSync(path.join(CLIENT_DIR, 'node_modules/@platformatic/kafka/package.json'), 'utf8')).version;
  const base = { clientId, bootstrapBrokers: brokers, retries: 8, retryDelay: 100 };
  return {
    label: `@platformatic/kafka ${version}`,
    async ensureTopics(topics, partitions) {
      const admin = new kafka.Admin(base);
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length > 0) await admin.createTopics({ topics: missing, partitions, replicas: 1 });
      await admin.close();
    },
    // Connects (and gets its producer id) on the first send, which the warm-up pays.
    async producer() {
      const producer = new kafka.Producer({
        ...base,
        // idempotent forces acks = -1 and one in-flight request per broker, and unlimited retries.
        idempotent: true,
        acks: kafka.ProduceAcks.ALL,
        // kafkajs's DefaultPartitioner is Java's (murmur2 & 0x7fffffff); this client's default
        // (murmur2 >>> 0) would move keys to other partitions, breaking per-key order across a switch.
        partitioner: kafka.compatibilityPartitioner,
        autocreateTopics: false,
        serializers: kafka.stringSerializers,
      });
      return {
        send: (topic, messages) => producer.send({ messages: messages.map((m) => ({ topic, key: m.key, value: m.value, headers: m.headers })) }),
        close: () => producer.close(),
      };
    },
    // No partitionsConcurrently: every assigned partition gets its own chain below (3 here).
    async consumer({ groupId, topics, handle }) {
      const consumer = new kafka.Consumer({
        ...base,
        groupId,
        sessionTimeout: 10000,
        rebalanceTimeout: 20000,
        heartbeatInterval: 1000,
        maxWaitTime: 100,
        autocommit: false,
        autocreateTopics: false,
        deserializers: kafka.stringDeserializers,
      });
      const joined = new Promise((resolve) => consumer.once('consumer:group:join', resolve));
      const stream = await consumer.consume({
        topics,
        autocommit: false,
        mode: kafka.MessagesStreamModes.COMMITTED,
        fallbackMode: kafka.MessagesStreamFallbackModes.EARLIEST,
        maxWaitTime: 100,
        sessionTimeout: 10000,
        rebalanceTimeout: 20000,
        heartbeatInterval: 1000,
      });
      // The stream interleaves partitions; kafkajs's partitionsConsumedConcurrently is rebuilt
      // here: one promise chain per partition (in order within it), and the stream paused while
      // more than a fetch's worth of messages wait, as kafkajs stops fetching while it works.
      const chains = new Map();
      let waiting = 0;
      const HIGH = 500;
      const api = { joined, commit: undefined, close: undefined, onHandled: undefined };
      stream.on('data', (message) => {
        const key = `${message.topic}:${message.partition}`;
        waiting++;
        if (waiting > HIGH) stream.pause();
        const previous = chains.get(key) ?? Promise.resolve();
        const next = previous.then(async () => {
          const headers = Object.fromEntries(message.headers);
          await handle(message.topic, message.partition, message.value, headers);
          api.onHandled?.(message.topic, message.partition, message.offset + 1n, message.leaderEpoch);
          waiting--;
          if (waiting <= HIGH / 2 && stream.isPaused()) stream.resume();
        });
        chains.set(key, next);
      });
      stream.on('error', (err) => console.error('platformatic stream error', err));
      api.commit = (offsets) => consumer.commit({ offsets });
      api.close = async () => {
        await stream.close();
        await consumer.close();
      };
      return api;
    },
  };
}

/**
 * kafkajs 2.2.4 with its idle loop fixed: every broker connection's request queue re-arms a
 * setTimeout after each check, with a negative delay (1 ms) when nothing is throttled, so each
 * connection wakes the process ~1,000 times a second, busy or idle (tulios/kafkajs#1556, #1704;
 * the fix, #1667, was never released). Here: no timer when nothing waits and nothing is throttled
 * (a response or the next push checks the queue again), as #1667 does.
 */
function kafkajsPatchedClient(opts) {
  const RequestQueue = require('kafkajs/src/network/requestQueue');
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests() {
    if (this.throttleCheckTimeoutId) return;
    let scheduleAt = this.throttledUntil - Date.now();
    if (this.pending.length > 0) scheduleAt = scheduleAt > 0 ? scheduleAt : 10;
    else if (scheduleAt <= 0) return;
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, scheduleAt);
  };
  return kafkajsClient(opts, 'kafkajs+idle fix');
}

const CLIENTS = { kafkajs: kafkajsClient, platformatic: platformaticClient, 'kafkajs-fixed': kafkajsPatchedClient };

module.exports = { CLIENTS, CLIENT_DIR };
