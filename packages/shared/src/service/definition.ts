// A service as a declaration: what it is made of, in the terms the kernel (start.ts) runs it by.
// Types only (and the identity defineService), so the entry point can be imported before
// telemetry has patched the modules the service uses.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { VerifierOptions } from '../auth';
import type { BaseEnv } from '../config';
import type { SqlRunner } from '../db/sql-runner';
import type { GrpcServiceBinding } from '../grpc/server';
import type { LiveHub, LiveStream } from '../http/live-updates';
import type { TopicName } from '../messaging/contracts';
import type { BatchHandler, EnvelopeHandler, FetchGathering, KafkaBus } from '../messaging/kafka-bus';
import type { OutboxRelay } from '../messaging/outbox-relay';
import type { ParkedMessages } from '../messaging/parked-messages';
import type { Job } from './every';

/** What the kernel reads of every service's config (BaseEnv plus the service's two ports). */
export type KernelConfig = BaseEnv & { HTTP_PORT: number; GRPC_PORT: number };

/** The part of every container the kernel uses; services add their use cases, stores, clients. */
export interface ServiceContainer {
  /** Raw SQL on the service's own database (the outbox gauges). */
  sql: SqlRunner;
  /** The consumers' parked messages (the bus parks into them; admin routes list them). */
  parked?: ParkedMessages;
  /** Absent: the service runs without Kafka (no topics, consumers or relay). */
  bus?: KafkaBus;
  /** Present in a service that publishes: started after the topics exist. */
  relay?: OutboxRelay;
  /** Readiness of the container's own dependencies (e.g. `SELECT 1`); a throw or false is "not ready". */
  ping?(): Promise<unknown>;
  /**
   * Finishes the container's own in-flight work, then the relay's last flush (it publishes what
   * the drained work wrote), the bus, clients and pools: runs after the drain.
   */
  close(): Promise<void>;
}

/** A container of a service that publishes (an outbox): its bus, relay and parked messages always exist. */
export interface PublishingServiceContainer extends ServiceContainer {
  parked: ParkedMessages;
  bus: KafkaBus;
  relay: OutboxRelay;
}

/** One Kafka consumer, subscribed by the kernel (retried and parked by the bus). */
export interface Consumer {
  /** The consumer group before the deployment's prefix (consumerGroupName), e.g. 'cart-catalog-sync'. */
  name: string;
  /** Unprefixed topics (topicName adds KAFKA_TOPIC_PREFIX). */
  topics: readonly TopicName[];
  /** Where a group without committed offsets starts; default true (a command sent before the group first joined is not lost). */
  fromBeginning?: boolean;
  /** How many partitions this member handles at once (the bus's default otherwise). */
  partitionsConcurrently?: number;
  handle: EnvelopeHandler;
  /** Two or more messages fetched together from one partition (SubscribeOptions.handleBatch); `handle` otherwise. */
  handleBatch?: BatchHandler;
  /** Fuller fetches for a consumer that can wait (SubscribeOptions.gather). */
  gather?: FetchGathering;
}

/** A live feed (`/ws/...`): its streams served by the app, started once the bus is up. */
export interface LiveFeed {
  /** The shutdown step's name; default 'live hub'. */
  name?: string;
  /** Streams the kernel serves (liveUpdatesPlugin with the service's auth); omit when the service's buildApp registers them. */
  routes?: { hub: LiveHub; streams: LiveStream[] };
  start(): Promise<unknown> | void;
  stop(): Promise<unknown> | void;
}

/** What the declaration's parts are given beside the container. */
export interface ServiceKit<Config extends KernelConfig = KernelConfig> {
  config: Config;
  logger: Logger;
  /** One verifier setup (and one JWKS cache) for REST, the rate limit and the live streams. */
  auth: VerifierOptions;
  /** The readiness the kernel computes (started, not draining, container.ping()). */
  ready: () => Promise<boolean>;
}

export interface ServiceDefinition<Config extends KernelConfig = KernelConfig, C extends ServiceContainer = ServiceContainer> {
  name: string;
  /** config.ts's `loadConfig` (reads process.env, throws a ConfigError naming every bad variable). */
  loadConfig: () => Config;
  /** Default: createLogger({ name, level: LOG_LEVEL }). */
  createLogger?: (config: Config) => Logger;
  /** container.ts's `createContainer(config, logger, overrides?)`. */
  createContainer: (config: Config, logger: Logger) => C | Promise<C>;
  /** Logged (warn) once the logger exists, with logFields and node_env. */
  startupWarnings?: (config: Config) => readonly string[];
  /** Extra fields of the "<name> service ready" line and of the warnings. */
  logFields?: (config: Config) => Record<string, unknown>;
  /** The service's buildApp (createServiceApp inside), not listening yet. */
  http: (c: C, kit: ServiceKit<Config>) => Promise<FastifyInstance>;
  grpc?: (c: C, kit: ServiceKit<Config>) => GrpcServiceBinding[];
  /** Topics created if missing (unprefixed), when the container has a bus. */
  topics?: readonly TopicName[];
  consumers?: (c: C, kit: ServiceKit<Config>) => Consumer[];
  /** Periodic jobs (every(ms, name, fn)). */
  jobs?: (c: C, kit: ServiceKit<Config>) => Job[];
  live?: (c: C, kit: ServiceKit<Config>) => LiveFeed[];
  /** The service's own gauges (the outbox and consumer-lag ones are the kernel's). */
  metrics?: (c: C, kit: ServiceKit<Config>) => void;
}

/** Identity, for the types: `export const cartService = defineService({ ... })`. */
export function defineService<Config extends KernelConfig, C extends ServiceContainer>(def: ServiceDefinition<Config, C>): ServiceDefinition<Config, C> {
  return def;
}
