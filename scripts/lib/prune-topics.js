#!/usr/bin/env node
// Deletes the topics test runs and benchmarks leave on the local broker: every test file works
// under a prefix of its own (`t-<hex>.`, testTopicPrefix) and every checkout bench under
// `bench-<hex>.`, and nothing deleted them. Thousands of idle partitions cost the one broker CPU
// per message (~11 ms per checkout with ~16,000 partitions against ~2.5 ms without; bench/README).
// Run by `bash scripts/platform.sh prune-topics`, never by itself: a suite or a bench running at
// that moment loses its topics.
'use strict';
const { Kafka, logLevel } = require('kafkajs');

const BROKERS = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',');
const LEFT_OVER = /^(t|bench)-[0-9a-f]+\./;
const PER_REQUEST = 200;

async function main() {
  const admin = new Kafka({ clientId: 'sudamall-platform', brokers: BROKERS, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const all = await admin.listTopics();
    const stale = all.filter((t) => LEFT_OVER.test(t));
    for (let i = 0; i < stale.length; i += PER_REQUEST) {
      await admin.deleteTopics({ topics: stale.slice(i, i + PER_REQUEST), timeout: 60_000 });
      console.log(`[prune-topics] deleted ${Math.min(i + PER_REQUEST, stale.length)} of ${stale.length}`);
    }
    console.log(`[prune-topics] ${stale.length} left-over topics deleted, ${all.length - stale.length} kept (the broker removes their files shortly)`);
  } finally {
    await admin.disconnect();
  }
}

main().catch((err) => {
  console.error(`[prune-topics] ${err.message}`);
  process.exit(1);
});
