import { context, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import {
  ConfigResourceTypes,
  Kafka,
  logLevel as KafkaLogLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  type KafkaMessage,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import type { Logger } from 'pino';
import { parseEnvelope, type AnyEnvelope, type Envelope } from './envelope';
import { applyKafkajsIdleFix } from './kafkajs-idle-fix';
import {
  classifyHandlerFailure,
  DEFAULT_PARK_POLICY,
  describeFailure,
  shouldPark,
  type NewParkedMessage,
  type ParkedMessages,
  type ParkPolicy,
} from './parked-messages';
import { contextFromTraceparent, currentTraceparent } from './trace-context';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /**
   * Where every subscription parks a message it gives up on (unless it passes `park: false`).
   * Without one, a failing handler is retried forever and a malformed message is skipped.
   */
  parked?: ParkedMessages;
  /** Backoff and attempt budget of every subscription (KAFKA_RETRY_BASE_MS, KAFKA_RETRY_MAX_MS, KAFKA_MAX_ATTEMPTS). */
  retry?: RetryPolicy;
}

export interface MessageMeta {
  topic: string;
  partition: number;
  offset: string;
  headers: Record<string, string>;
  /** Keeps the group session alive during long work. */
  heartbeat: () => Promise<void>;
}

export type EnvelopeHandler = (envelope: AnyEnvelope, meta: MessageMeta) => Promise<void>;

/** One message of a batch, as a batch handler sees it. */
export interface BatchItem {
  envelope: AnyEnvelope;
  meta: MessageMeta;
  /**
   * Runs `fn` inside this message's own `process` span (a child of the operation that sent it),
   * so what `fn` publishes carries the message's trace, as it would handled alone.
   */
  within<T>(fn: () => T): T;
}

/**
 * Handles several consecutive messages of one partition at once (one transaction for all, say).
 * It may commit part of them before it fails: every message is then handed to the subscription's
 * `handle`, one at a time with its retries and parking, so what was applied must be a no-op the
 * second time (the inbox's job).
 */
export type BatchHandler = (items: readonly BatchItem[]) => Promise<void>;

export interface RetryPolicy {
  /** First delay after a failed attempt; doubles each time. Default 200 ms. */
  initialMs?: number;
  /** Upper bound for one delay. Default 10 s. */
  maxMs?: number;
  /** With a park store: failed attempts before an unclassified failure is parked. Default 5. */
  maxAttempts?: number;
  /** With a park store: failed attempts before a domain error (not `unavailable`) is parked. Default 2. */
  deterministicMaxAttempts?: number;
}

export interface FetchGathering {
  maxWaitMs: number;
  minBytes: number;
}

export interface SubscribeOptions {
  groupId: string;
  /** Full (already prefixed) topic names. */
  topics: string[];
  /**
   * Where a group with no committed offset starts. Service consumers should pass `true`:
   * a command published before the group first joined must not be lost.
   */
  fromBeginning?: boolean;
  /** How many partitions this member handles at once (each still in order). Default 3. */
  partitionsConcurrently?: number;
  /** At most how often the handled offsets are committed. Default 1000 ms (see `OffsetCommits`). */
  commitIntervalMs?: number;
  handle: EnvelopeHandler;
  /**
   * Optional: what the consumer does with two or more messages fetched together from one
   * partition (they arrive so under load). Without it, or when it fails, each goes to `handle`.
   */
  handleBatch?: BatchHandler;
  /**
   * For a consumer that can wait: the broker holds each fetch until `minBytes` of messages are
   * there or `maxWaitMs` have passed. Fewer, fuller fetches cost the consumer and the broker
   * less per message. Default: a fetch is answered as soon as one message is there.
   */
  gather?: FetchGathering;
  retry?: RetryPolicy;
  /**
   * `false`: never park (a live feed of one instance, whose group name is its own). Otherwise the
   * bus's park store is used, the consumer named `consumer` (default: the group id) in the record.
   */
  park?: false | { consumer?: string };
}

export interface Subscription {
  groupId: string;
  /** Stops consuming after the message in hand, committing what was handled. */
  stop(): Promise<void>;
}

const tracer = trace.getTracer('@sudamall/shared/kafka-bus');

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = typeof first === 'string' ? first : first.toString('utf8');
  }
  return out;
}

function toKafkaMessage(e: Envelope): { key: string; value: string; headers: IHeaders & { traceparent?: string } } {
  const headers: IHeaders & { traceparent?: string } = { type: e.type, 'event-id': e.id };
  if (e.traceparent) headers.traceparent = e.traceparent;
  return { key: e.key, value: JSON.stringify(e), headers };
}

/** A message's `process` span's attributes (OpenTelemetry's messaging conventions). */
function processSpanAttributes(topic: string, partition: number, offset: string, envelope: AnyEnvelope): Attributes {
  return {
    'messaging.system': 'kafka',
    'messaging.destination.name': topic,
    'messaging.message.id': envelope.id,
    'messaging.kafka.message.key': envelope.key,
    'messaging.kafka.destination.partition': partition,
    'messaging.kafka.message.offset': Number(offset),
    'sudamall.message.type': envelope.type,
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class StoppingError extends Error {
  constructor() {
    super('consumer is stopping');
  }
}

/**
 * Commits what a consumer handled at most once per interval instead of after every fetched batch
 * (kafkajs's autoCommit): under load a fetch brings one message, and each offset commit is an
 * append to the broker's offsets log, as costly to it as a produce. What was handled but not yet
 * committed when a member crashes or loses its partitions is delivered again, which every
 * consumer already has to survive (at-least-once; the inbox deduplicates, parking is keyed by
 * offset). A graceful stop commits everything handled before it waits for the message in hand.
 */
class OffsetCommits {
  /** topic → partition → the next offset to read (handled + 1), as Kafka's commit wants it. */
  private pending = new Map<string, Map<number, string>>();
  private timer: NodeJS.Timeout | undefined;
  private committing: Promise<void> = Promise.resolve();

  constructor(
    private readonly consumer: Consumer,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.commit(), this.intervalMs);
    this.timer.unref();
  }

  handled(topic: string, partition: number, offset: string): void {
    let partitions = this.pending.get(topic);
    if (!partitions) this.pending.set(topic, (partitions = new Map<number, string>()));
    partitions.set(partition, (BigInt(offset) + 1n).toString());
  }

  forget(): void {
    this.pending.clear();
  }

  /** Commits what is pending now (one request), then stops the timer. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.commit();
  }

  private commit(): Promise<void> {
    this.committing = this.committing.then(async () => {
      if (this.pending.size === 0) return;
      const offsets = [...this.pending].flatMap(([topic, partitions]) => [...partitions].map(([partition, offset]) => ({ topic, partition, offset })));
      this.pending = new Map<string, Map<number, string>>();
      try {
        await this.consumer.commitOffsets(offsets);
      } catch (err) {
        // Not put back: a newer offset of the partition supersedes it, and a rebalance makes it
        // stale; at worst these messages are delivered once more.
        this.log.warn({ err, offsets: offsets.length }, 'offset commit failed; those messages may be delivered again');
      }
    });
    return this.committing;
  }
}

/**
 * The project's messaging interface over kafkajs (unmaintained since 2.2.4), kept small so a
 * maintained client can replace it without touching the services.
 */
export class KafkaBus {
  private readonly kafka: Kafka;
  private readonly logger: Logger;
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private connecting: Promise<void> | undefined;
  private readonly consumers = new Set<{ consumer: Consumer; stopping: boolean; commits: OffsetCommits }>();

  constructor(private readonly opts: KafkaBusOptions) {
    this.logger = opts.logger.child({ component: 'kafka' });
    if (!applyKafkajsIdleFix())
      this.logger.warn('kafkajs is not the version its idle-loop fix was written for: each broker connection may wake the process every 1 ms');
    const log = this.logger;
    this.kafka = new Kafka({
      clientId: opts.clientId,
      brokers: opts.brokers,
      logLevel: KafkaLogLevel.WARN,
      logCreator: () => (entry: LogEntry) => {
        const { message, ...extra } = entry.log;
        const fields = { namespace: entry.namespace, ...extra };
        if (entry.level <= KafkaLogLevel.ERROR) log.error(fields, message);
        else if (entry.level === KafkaLogLevel.WARN) log.warn(fields, message);
        else log.debug(fields, message);
      },
      retry: { initialRetryTime: 100, retries: 8 },
    });
  }

  /** Connects the producer (idempotent: safe to call again). */
  connect(): Promise<void> {
    this.connecting ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        // kafkajs wants unlimited retries for idempotence; the time bound still makes a send to
        // an unreachable broker fail (the outbox relay then rolls back and backs off).
        retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 30000 },
      });
      await producer.connect();
      this.producer = producer;
    })().catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }

  /**
   * Sends the envelopes to one topic, in order, keyed by `envelope.key` (so one order's messages
   * share a partition), acknowledged by all in-sync replicas.
   */
  publish(topic: string, envelopes: ReadonlyArray<Envelope>): Promise<void> {
    return this.publishTopics([{ topic, envelopes }]);
  }

  /** Several topics' envelopes in one produce request (each topic's in order), as `publish` sends them. */
  async publishTopics(batches: ReadonlyArray<{ topic: string; envelopes: ReadonlyArray<Envelope> }>): Promise<void> {
    const topicMessages = batches.filter((b) => b.envelopes.length > 0).map((b) => ({ topic: b.topic, messages: b.envelopes.map(toKafkaMessage) }));
    if (topicMessages.length === 0) return;
    await this.connect();
    const producer = this.producer;
    if (!producer) throw new Error('the Kafka producer was closed while publishing');
    const fallbackTraceparent = currentTraceparent();
    if (fallbackTraceparent) for (const t of topicMessages) for (const m of t.messages) m.headers.traceparent ??= fallbackTraceparent;
    await producer.sendBatch({ acks: -1, topicMessages });
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    const consumer = this.kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: 10000,
      rebalanceTimeout: 20000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: opts.gather?.maxWaitMs ?? 100,
      minBytes: opts.gather?.minBytes ?? 1,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 100, retries: 10 },
    });
    const log = this.logger.child({ group: opts.groupId });
    const commits = new OffsetCommits(consumer, log, opts.commitIntervalMs ?? 1000);
    const entry = { consumer, stopping: false, commits };
    this.consumers.add(entry);
    const retry = { ...this.opts.retry, ...opts.retry };
    const initialMs = retry.initialMs ?? 200;
    const maxMs = retry.maxMs ?? 10000;
    const policy: ParkPolicy = {
      maxAttempts: retry.maxAttempts ?? DEFAULT_PARK_POLICY.maxAttempts,
      deterministicMaxAttempts: retry.deterministicMaxAttempts ?? DEFAULT_PARK_POLICY.deterministicMaxAttempts,
    };
    const parked = opts.park === false ? undefined : this.opts.parked;
    const parkConsumer = (opts.park !== false && opts.park?.consumer) || opts.groupId;
    parked?.register(parkConsumer, opts.handle);
    const backoff = (attempt: number) => Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 20));
    // Parking is the message's last write: it must land before the offset moves past it, so a
    // park store that is down is retried like any transient failure.
    const park = async (store: ParkedMessages, record: NewParkedMessage, heartbeat: () => Promise<void>) => {
      for (let attempt = 1; ; attempt++) {
        if (entry.stopping) throw new StoppingError();
        try {
          await store.park(record);
          return;
        } catch (err) {
          const delay = backoff(attempt);
          log.error({ err, topic: record.topic, partition: record.partition, offset: record.offset, retry_in_ms: delay }, 'could not park a message; retrying');
          await this.sleepWithHeartbeat(delay, heartbeat, entry);
        }
      }
    };

    const joined = new Promise<void>((resolve) => {
      const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
        remove();
        resolve();
      });
    });

    // After a rebalance a partition may be another member's, who may already be past what this
    // member handled: its pending offsets are dropped (redelivery is deduplicated by the inbox).
    consumer.on(consumer.events.GROUP_JOIN, () => commits.forget());

    await consumer.connect();
    await consumer.subscribe({ topics: opts.topics, fromBeginning: opts.fromBeginning ?? false });
    commits.start();
    // One message, in its own span, retried and parked as the policy says; returns once it is handled or parked.
    const handleMessage = async (topic: string, partition: number, message: KafkaMessage, heartbeat: () => Promise<void>): Promise<void> => {
      let envelope: AnyEnvelope;
      try {
        envelope = parseEnvelope(message.value);
      } catch (err) {
        // A poison message must not stop the partition; no retry can make it parse, so it is
        // parked at once (kept for an operator) or, without a park store, logged and skipped.
        if (!parked) {
          log.error({ err, topic, partition, offset: message.offset }, 'skipping malformed message');
          commits.handled(topic, partition, message.offset);
          return;
        }
        await park(
          parked,
          {
            consumer: parkConsumer,
            topic,
            partition,
            offset: message.offset,
            key: message.key?.toString('utf8') ?? null,
            envelope: null,
            rawValue: message.value?.toString('utf8') ?? null,
            error: describeFailure(err, 'unparseable'),
            attempts: 1,
          },
          heartbeat,
        );
        commits.handled(topic, partition, message.offset);
        return;
      }
      const headers = headersToStrings(message.headers);
      const meta: MessageMeta = { topic, partition, offset: message.offset, headers, heartbeat };
      // The envelope's own traceparent is the operation that caused the message (it survives
      // the outbox hop); the header is the fallback for producers outside this project.
      const parent = contextFromTraceparent(envelope.traceparent ?? headers.traceparent);
      // Failed attempts that count toward parking (transient ones do not).
      let counted = 0;
      for (let attempt = 1; ; attempt++) {
        if (entry.stopping) throw new StoppingError();
        try {
          await context.with(parent, () =>
            tracer.startActiveSpan(
              `${topic} process`,
              {
                kind: SpanKind.CONSUMER,
                attributes: processSpanAttributes(topic, partition, message.offset, envelope),
              },
              async (span) => {
                try {
                  await opts.handle(envelope, meta);
                } catch (err) {
                  span.recordException(err as Error);
                  span.setStatus({ code: SpanStatusCode.ERROR });
                  throw err;
                } finally {
                  span.end();
                }
              },
            ),
          );
          if (attempt > 1) log.info({ topic, partition, offset: message.offset, attempt }, 'message handled after retries');
          commits.handled(topic, partition, message.offset);
          return;
        } catch (err) {
          if (err instanceof StoppingError) throw err;
          const cls = classifyHandlerFailure(err);
          if (cls !== 'transient') counted++;
          if (parked && shouldPark(cls, counted, policy)) {
            await park(
              parked,
              {
                consumer: parkConsumer,
                topic,
                partition,
                offset: message.offset,
                key: message.key?.toString('utf8') ?? envelope.key,
                envelope,
                rawValue: null,
                error: describeFailure(err, cls),
                attempts: attempt,
              },
              heartbeat,
            );
            commits.handled(topic, partition, message.offset);
            return;
          }
          const delay = backoff(attempt);
          log.error(
            { err, topic, partition, offset: message.offset, type: envelope.type, event_id: envelope.id, attempt, failure: cls, retry_in_ms: delay },
            'message handler failed; retrying',
          );
          await this.sleepWithHeartbeat(delay, heartbeat, entry);
        }
      }
    };

    const handleBatch = opts.handleBatch;
    // Two or more messages of one partition to handleBatch, each in a span of its own; false
    // (nothing committed by this call, or only what the inbox will make a no-op) when any of them
    // does not parse or the handler fails.
    const tryBatch = async (topic: string, partition: number, messages: KafkaMessage[], heartbeat: () => Promise<void>): Promise<boolean> => {
      if (!handleBatch) return false;
      const parsed: Array<{ envelope: AnyEnvelope; message: KafkaMessage; headers: Record<string, string> }> = [];
      for (const message of messages) {
        try {
          parsed.push({ envelope: parseEnvelope(message.value), message, headers: headersToStrings(message.headers) });
        } catch {
          return false;
        }
      }
      const spans = parsed.map(({ envelope, message, headers }) => {
        const parent = contextFromTraceparent(envelope.traceparent ?? headers.traceparent);
        const span = tracer.startSpan(
          `${topic} process`,
          {
            kind: SpanKind.CONSUMER,
            attributes: { ...processSpanAttributes(topic, partition, message.offset, envelope), 'messaging.batch.message_count': parsed.length },
          },
          parent,
        );
        return { span, ctx: trace.setSpan(parent, span) };
      });
      const items: BatchItem[] = parsed.map(({ envelope, message, headers }, n) => ({
        envelope,
        meta: { topic, partition, offset: message.offset, headers, heartbeat },
        within: (fn) => context.with(spans[n].ctx, fn),
      }));
      // The batch's own work (one transaction for all, say) has a span of its own, linked to every
      // message's: its statements are traced, and each message's trace leads to it.
      const batchSpan = tracer.startSpan(`${topic} process batch`, {
        kind: SpanKind.CONSUMER,
        root: true,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': topic,
          'messaging.kafka.destination.partition': partition,
          'messaging.batch.message_count': parsed.length,
        },
        links: spans.map(({ span }) => ({ context: span.spanContext() })),
      });
      const all = [...spans.map(({ span }) => span), batchSpan];
      try {
        await context.with(trace.setSpan(context.active(), batchSpan), () => handleBatch(items));
        for (const span of all) span.end();
        return true;
      } catch (err) {
        for (const span of all) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        }
        log.warn({ err, topic, partition, messages: items.length }, 'batch handler failed; handling its messages one at a time');
        return false;
      }
    };

    // A fetched batch: to handleBatch when there is one and more than one message, otherwise (or
    // when it fails) one message at a time. Offsets are resolved by hand, so a stop or a rebalance
    // mid-batch leaves what was not handled to be fetched again.
    const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
      const { topic, partition, messages } = payload.batch;
      const heartbeat = () => payload.heartbeat();
      const last = messages[messages.length - 1];
      if (!last) return;
      if (messages.length > 1 && !entry.stopping && (await tryBatch(topic, partition, messages, heartbeat))) {
        commits.handled(topic, partition, last.offset);
        payload.resolveOffset(last.offset);
        return;
      }
      for (const message of messages) {
        if (!payload.isRunning() || payload.isStale()) return;
        await handleMessage(topic, partition, message, heartbeat);
        payload.resolveOffset(message.offset);
      }
    };

    await consumer.run({
      autoCommit: false,
      // Within a partition, one message at a time: order within a key is what the saga relies
      // on. Different partitions (different keys) are handled side by side, so one slow order
      // or product does not queue every other one behind it.
      partitionsConsumedConcurrently: opts.partitionsConcurrently ?? 3,
      ...(handleBatch
        ? { eachBatchAutoResolve: false, eachBatch }
        : // eslint-disable-next-line @typescript-eslint/unbound-method -- because kafkajs declares heartbeat as a method but hands each message a closure of its own
          { eachMessage: async ({ topic, partition, message, heartbeat }) => handleMessage(topic, partition, message, heartbeat) }),
    });
    // Resolve once the group has its partitions, so a caller that publishes next is not racing
    // the join; give up waiting (not consuming) after 30 s and let kafkajs keep trying.
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        log.warn({ topics: opts.topics }, 'consumer group has not joined after 30 s; continuing');
        resolve();
      }, 30000);
    });
    await Promise.race([joined, gaveUp]);
    clearTimeout(timer);

    return {
      groupId: opts.groupId,
      stop: async () => {
        await commits.stop();
        entry.stopping = true;
        await consumer.disconnect();
        this.consumers.delete(entry);
      },
    };
  }

  /** Waits out a backoff while keeping the group membership alive (a rebalance ends the wait). */
  private async sleepWithHeartbeat(ms: number, heartbeat: () => Promise<void>, entry: { stopping: boolean }) {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (entry.stopping) throw new StoppingError();
      await sleep(Math.min(500, until - Date.now()));
      await heartbeat();
    }
  }

  /** Creates the topics that do not exist yet. */
  async ensureTopics(topics: string[], partitions = 3): Promise<void> {
    if (topics.length === 0) return;
    const admin = await this.connectedAdmin();
    // Only the missing ones: asking to create an existing topic makes kafkajs log an error.
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      });
    } catch (err) {
      // Another process created some of them meanwhile.
      const e = err as { type?: string; errors?: Array<{ type?: string }> };
      const alreadyExists = (x: { type?: string }) => x.type === 'TOPIC_ALREADY_EXISTS';
      if (!(alreadyExists(e) || (e.errors && e.errors.length > 0 && e.errors.every(alreadyExists)))) throw err;
    }
  }

  /** How long the broker keeps each topic's messages (`retention.ms`; -1: forever). */
  async topicRetentionMs(topics: readonly string[]): Promise<Map<string, number>> {
    const retention = new Map<string, number>();
    if (topics.length === 0) return retention;
    const admin = await this.connectedAdmin();
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms'] })),
    });
    for (const resource of resources) {
      const value = resource.configEntries.find((e) => e.configName === 'retention.ms')?.configValue;
      if (value !== undefined && value !== null) retention.set(resource.resourceName, Number(value));
    }
    return retention;
  }

  private async connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  /** Stops consumers (committing handled offsets), then the producer and admin. */
  async disconnect(): Promise<void> {
    const consumers = [...this.consumers];
    await Promise.all(consumers.map((c) => c.commits.stop()));
    for (const c of consumers) c.stopping = true;
    await Promise.all(consumers.map((c) => c.consumer.disconnect().catch((err: unknown) => this.logger.warn({ err }, 'consumer disconnect failed'))));
    this.consumers.clear();
    await this.producer?.disconnect().catch((err: unknown) => this.logger.warn({ err }, 'producer disconnect failed'));
    await this.admin?.disconnect().catch((err: unknown) => this.logger.warn({ err }, 'admin disconnect failed'));
    this.producer = undefined;
    this.admin = undefined;
    this.connecting = undefined;
  }
}
