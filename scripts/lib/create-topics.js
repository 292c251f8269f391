#!/usr/bin/env node
// Waits until the local Kafka broker answers a metadata request, then creates the service
// topics that are missing (3 partitions, replication factor 1). Run by scripts/platform.sh up.
//
// The topic list is read from packages/shared/src/messaging/contracts.ts (the `Topics` object),
// so it cannot drift from what the services use; the list below is only a fallback for when
// that file cannot be parsed.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Kafka, logLevel } = require('kafkajs');

const ROOT = path.resolve(__dirname, '../..');
const CONTRACTS = path.join(ROOT, 'packages/shared/src/messaging/contracts.ts');
const FALLBACK_TOPICS = ['inventory.commands', 'inventory.events', 'payment.commands', 'payment.events', 'order.events'];
const BROKERS = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',');
const PARTITIONS = 3;
const READY_TIMEOUT_MS = Number(process.env.KAFKA_READY_TIMEOUT_MS || 90_000);

function topicsFromContracts() {
  try {
    const src = fs.readFileSync(CONTRACTS, 'utf8');
    const block = /export const Topics\s*=\s*\{([\s\S]*?)\}\s*as const/.exec(src);
    const names = block ? [...block[1].matchAll(/:\s*'([^']+)'/g)].map((m) => m[1]) : [];
    if (names.length > 0) return names;
  } catch {
    // fall through to the fallback list
  }
  console.warn(`[create-topics] could not read Topics from ${CONTRACTS}; using the built-in list`);
  return FALLBACK_TOPICS;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForMetadata(deadline) {
  // While the broker boots, connection errors are expected: keep kafkajs quiet until it answers.
  const kafka = new Kafka({
    clientId: 'sudamall-platform',
    brokers: BROKERS,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 2_000,
    requestTimeout: 10_000,
  });
  let lastError;
  while (Date.now() < deadline) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const meta = await admin.fetchTopicMetadata({ topics: [] });
      return { admin, existing: new Set(meta.topics.map((t) => t.name)) };
    } catch (err) {
      lastError = err;
      await admin.disconnect().catch(() => {});
      await sleep(500);
    }
  }
  throw new Error(`no metadata from ${BROKERS.join(',')} within ${READY_TIMEOUT_MS} ms: ${lastError && lastError.message}`);
}

// The first consumer group on a fresh broker makes it create __consumer_offsets, and until that
// exists every client gets "group coordinator not available" and backs off. Asking for a group
// coordinator here pays that cost once, before any test or service starts.
async function warmUpGroupCoordinator(admin) {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.describeGroups(['sudamall-platform-warmup']);
      return;
    } catch (err) {
      if (attempt >= 60) throw err;
      await sleep(250);
    }
  }
}

async function main() {
  const t0 = Date.now();
  const topics = topicsFromContracts();
  const { admin, existing } = await waitForMetadata(t0 + READY_TIMEOUT_MS);
  try {
    console.log(`[create-topics] Kafka answers metadata on ${BROKERS.join(',')} (${Date.now() - t0} ms)`);
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      // A freshly started controller can briefly refuse topic creation; retry a few times.
      for (let attempt = 1; ; attempt++) {
        try {
          await admin.createTopics({
            waitForLeaders: true,
            topics: missing.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
          });
          break;
        } catch (err) {
          const stillMissing = (await admin.listTopics()).filter((t) => missing.includes(t)).length < missing.length;
          if (!stillMissing) break;
          if (attempt >= 10) throw err;
          await sleep(500);
        }
      }
      console.log(`[create-topics] created ${missing.join(', ')}`);
    }
    await warmUpGroupCoordinator(admin);
    const meta = await admin.fetchTopicMetadata({ topics });
    const summary = meta.topics.map((t) => `${t.name}(${t.partitions.length})`).join(' ');
    console.log(`[create-topics] topics: ${summary}`);
  } finally {
    await admin.disconnect();
  }
}

main().catch((err) => {
  console.error(`[create-topics] ${err.stack || err}`);
  process.exit(1);
});
