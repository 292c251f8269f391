// The kernel: runs a service declaration (definition.ts) in the one order every service needs.
//   config → logger (+ startup warnings) → container → HTTP app (createServiceApp inside the
//   service's buildApp, then its live streams) → gRPC → bus connect + topics → outbox relay →
//   consumers (and a warning if a consumed topic outlasts the inbox) → metrics → jobs (the
//   service's, and the inbox retention) → live feeds → listen → ready.
// and, from the same parts, the shutdown plan of lifecycle.ts (SIGTERM/SIGINT):
//   not ready (readyz 503, gRPC NOT_SERVING) → drain at once (HTTP, gRPC, consumers, jobs, live
//   feeds) → close the container (its own in-flight work, the relay's last flush, the bus,
//   clients, pools) → telemetry.
// Loaded by runService only after telemetry has started: everything below requires what it instruments.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { authOptionsFromConfig } from '../auth';
import { renamedVariableWarnings } from '../config';
import { grpcTlsFromConfig } from '../grpc/tls';
import { startGrpcServer, type GrpcServerHandle } from '../grpc/server';
import { liveUpdatesPlugin } from '../http/live-updates';
import { registerServiceMetrics } from '../http/service-metrics';
import { handleShutdownSignals, type GracefulShutdown, type GracefulShutdownOptions, type ShutdownSteps } from '../lifecycle';
import { createLogger } from '../logging';
import { topicName } from '../messaging/contracts';
import type { KafkaBus, Subscription } from '../messaging/kafka-bus';
import { subscribeConsumers } from './consumers';
import { inboxRetentionJob, topicsOutlastingInbox } from './inbox-retention';
import type { KernelConfig, ServiceContainer, ServiceDefinition, ServiceKit } from './definition';

export interface StartOptions<Config extends KernelConfig> {
  telemetry?: { shutdown(): Promise<void> };
  /** Instead of def.loadConfig() (tests). */
  config?: Config;
  /** Tests: where the signals come from and what exit does. */
  shutdown?: Pick<GracefulShutdownOptions, 'source' | 'exit' | 'signals'>;
}

export interface RunningService<Config extends KernelConfig, C extends ServiceContainer> {
  config: Config;
  logger: Logger;
  container: C;
  app: FastifyInstance;
  grpc: GrpcServerHandle | undefined;
  subscriptions: readonly Subscription[];
  ready: () => Promise<boolean>;
  shutdown: GracefulShutdown;
}

export async function startService<Config extends KernelConfig, C extends ServiceContainer>(
  def: ServiceDefinition<Config, C>,
  opts: StartOptions<Config> = {},
): Promise<RunningService<Config, C>> {
  const config = opts.config ?? def.loadConfig();
  const logger = def.createLogger?.(config) ?? createLogger({ name: def.name, level: config.LOG_LEVEL });
  const logFields = def.logFields?.(config) ?? {};
  // Renamed variables still set under their old name, in every service alike (none when a test passes its config).
  const warnings = [...(opts.config ? [] : renamedVariableWarnings(process.env)), ...(def.startupWarnings?.(config) ?? [])];
  for (const warning of warnings) logger.warn({ ...logFields, node_env: config.NODE_ENV }, warning);
  const c = await def.createContainer(config, logger);

  let started = false;
  const ready = async () => {
    if (!started) return false;
    if (c.ping && (await c.ping()) === false) return false;
    return true;
  };
  const kit: ServiceKit<Config> = { config, logger, auth: authOptionsFromConfig(config, logger), ready };

  const app = await def.http(c, kit);
  const live = def.live?.(c, kit) ?? [];
  for (const feed of live) {
    if (feed.routes) await app.register(liveUpdatesPlugin, { hub: feed.routes.hub, auth: kit.auth, streams: feed.routes.streams });
  }
  const grpc = def.grpc
    ? await startGrpcServer({ host: config.GRPC_HOST, port: config.GRPC_PORT, services: def.grpc(c, kit), logger, tls: grpcTlsFromConfig(config) })
    : undefined;

  const prefix = config.KAFKA_TOPIC_PREFIX;
  const subscriptions: Subscription[] = [];
  if (c.bus) {
    // A service that publishes connects its producer now, not on the relay's first message.
    if (c.relay) await c.bus.connect();
    // Topics normally come from scripts/platform.sh; creating the missing ones lets a fresh
    // broker (or a prefixed deployment: demo, tests) start too.
    await c.bus.ensureTopics((def.topics ?? []).map((t) => topicName(prefix, t)));
    await c.relay?.start();
    const consumers = def.consumers?.(c, kit) ?? [];
    subscriptions.push(...(await subscribeConsumers(c.bus, consumers, prefix)));
    const consumed = [...new Set(consumers.flatMap((k) => k.topics.map((t) => topicName(prefix, t))))];
    await warnOfTopicsOutlastingInbox(c.bus, consumed, config.INBOX_RETENTION_HOURS * 3_600_000, logger);
  }

  registerServiceMetrics({
    query: (text) => c.sql.query(text),
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID ?? def.name,
    groups: () => subscriptions.map((s) => s.groupId),
    logger,
  });
  def.metrics?.(c, kit);

  const jobs = [...(def.jobs?.(c, kit) ?? [])];
  // The inbox its consumers write (a service without a bus consumes nothing, so writes none).
  if (c.bus) jobs.push(inboxRetentionJob({ databaseUrl: config.DATABASE_URL, retentionMs: config.INBOX_RETENTION_HOURS * 3_600_000 }));
  for (const job of jobs) job.start(logger);
  for (const feed of live) await feed.start();
  await app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
  started = true;
  grpc?.setServing(true);
  logger.info({ http: config.HTTP_PORT, grpc: grpc?.port, ...logFields }, `${def.name} service ready`);

  const drain: ShutdownSteps = {
    http: () => app.close(), // stops accepting, waits for in-flight requests
    ...(grpc ? { grpc: () => grpc.close() } : {}),
    ...Object.fromEntries(subscriptions.map((s) => [`kafka consumer ${s.groupId}`, () => s.stop()])),
    // Their writes go through the outbox, so they finish before the relay's last flush.
    ...Object.fromEntries(jobs.map((j) => [j.name, () => j.stop()])),
    ...Object.fromEntries(live.map((f, i) => [live.length > 1 ? `${f.name ?? 'live hub'} ${i + 1}` : (f.name ?? 'live hub'), () => f.stop()])),
  };
  const shutdown = handleShutdownSignals(
    {
      notReady: () => {
        started = false;
        grpc?.setServing(false);
      },
      drain,
      // The container's own in-flight work, then the relay flushes what the drained work wrote,
      // then the bus, gRPC clients and pools close (ServiceContainer.close).
      close: { container: () => c.close() },
      telemetry: opts.telemetry,
    },
    { logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS, readinessGraceMs: config.SHUTDOWN_READINESS_GRACE_MS, ...opts.shutdown },
  );
  return { config, logger, container: c, app, grpc, subscriptions, ready, shutdown };
}

/**
 * A misconfiguration that would apply a message twice, said at start: a replay or a group's reset
 * could redeliver a message whose inbox row is already pruned. A warning, not a refusal: the broker
 * may be unreachable for a moment, and a deployment may choose to run so.
 */
async function warnOfTopicsOutlastingInbox(bus: KafkaBus, topics: readonly string[], inboxRetentionMs: number, logger: Logger): Promise<void> {
  if (inboxRetentionMs <= 0 || topics.length === 0) return;
  try {
    const outlasting = topicsOutlastingInbox(await bus.topicRetentionMs(topics), inboxRetentionMs);
    if (outlasting.length > 0) {
      logger.warn(
        { topics: outlasting, inbox_retention_ms: inboxRetentionMs },
        'the broker keeps these topics longer than INBOX_RETENTION_HOURS: a replayed message whose inbox row was pruned would be applied again',
      );
    }
  } catch (err) {
    logger.warn({ err }, "could not read the consumed topics' retention to compare with INBOX_RETENTION_HOURS");
  }
}
