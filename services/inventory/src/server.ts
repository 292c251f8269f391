// Everything main.ts starts, loaded after telemetry so its instrumentations see pg, http, grpc.
import {
  authOptionsFromConfig,
  createLogger,
  grpcTlsFromConfig,
  handleShutdownSignals,
  startGrpcServer,
  topicName,
  Topics,
  ALL_TOPICS,
  type Subscription,
} from '@sudamall/shared';
import type { Telemetry } from '@sudamall/shared/telemetry';
import { inventory as pb } from '@sudamall/proto';
import { loadInventoryConfig } from './config';
import { createContainer } from './container';
import { buildApp } from './http/app';
import { inventoryGrpcService } from './grpc/inventory-service';
import { startCommandsConsumer } from './infra/commands-consumer';
import { registerInventoryMetrics } from './infra/service-metrics';

export async function runServer(telemetry?: Telemetry): Promise<void> {
  const config = loadInventoryConfig();
  const logger = createLogger({ name: 'inventory', level: config.LOG_LEVEL });
  const c = await createContainer(config, logger);
  let ready = false;

  const app = await buildApp({
    useCases: c.useCases,
    parked: c.parked,
    auth: authOptionsFromConfig(config, logger),
    ready: () => ready,
    logger,
  });
  await app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });

  const grpc = await startGrpcServer({
    host: config.GRPC_HOST,
    port: config.GRPC_PORT,
    services: [{ definition: pb.InventoryServiceService, implementation: inventoryGrpcService(c) }],
    logger,
    tls: grpcTlsFromConfig(config),
  });

  let subscription: Subscription | undefined;
  if (c.bus && c.relay) {
    await c.bus.connect();
    await c.bus.ensureTopics(ALL_TOPICS.map((t) => topicName(config.KAFKA_TOPIC_PREFIX, t)));
    await c.relay.start();
    subscription = await startCommandsConsumer({
      bus: c.bus,
      engine: c.engine,
      store: c.store,
      topicPrefix: config.KAFKA_TOPIC_PREFIX,
      logger,
      // startCommandsConsumer prefixes it like the topics (consumerGroupName).
      groupId: 'inventory',
    });
  }

  registerInventoryMetrics({
    query: async (sql) => (await c.pool.query(sql)).rows,
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID ?? 'inventory',
    groups: () => (subscription ? [subscription.groupId] : []),
    logger,
  });

  // The expiry sweeper: one sweep at a time (a slow one is not stacked), awaited on shutdown
  // before the pools close.
  let sweeping: Promise<void> | undefined;
  const sweeper = setInterval(() => {
    sweeping ??= c.engine
      .releaseExpired()
      .then(
        () => undefined,
        (err) => logger.warn({ err }, 'expiry sweep failed'),
      )
      .finally(() => (sweeping = undefined));
  }, config.RESERVATION_SWEEP_MS);
  sweeper.unref();

  ready = true;
  grpc.setServing(true);
  logger.info({ http: config.HTTP_PORT, grpc: grpc.port, topic: topicName(config.KAFKA_TOPIC_PREFIX, Topics.inventoryCommands) }, 'inventory ready');

  handleShutdownSignals(
    {
      notReady: () => {
        ready = false;
        grpc.setServing(false);
      },
      drain: {
        sweeper: () => {
          clearInterval(sweeper);
          return sweeping;
        },
        'kafka consumer': () => subscription?.stop(),
        http: () => app.close(), // stops accepting, waits for in-flight requests
        grpc: () => grpc.close(),
      },
      // Drains reservation batches (requests above may have queued some), stops the relay after
      // a last flush, disconnects the bus, closes the pools.
      close: { container: () => c.close() },
      telemetry,
    },
    { logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS, readinessGraceMs: config.SHUTDOWN_READINESS_GRACE_MS },
  );
}
