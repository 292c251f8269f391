// Order service entry: telemetry → config → container → http + grpc + consumers → graceful close.
import { telemetry } from './instrument';
import { order as pb } from '@sudamall/proto';
import {
  ALL_TOPICS,
  authOptionsFromConfig,
  grpcTlsFromConfig,
  handleShutdownSignals,
  LiveHub,
  liveUpdatesPlugin,
  startGrpcServer,
  topicName,
  type Subscription,
} from '@sudamall/shared';
import { readConfig } from './config';
import { createContainer } from './container';
import { orderGrpcService } from './grpc/order-grpc';
import { buildApp } from './http/app';
import { startSagaConsumer } from './infra/saga-consumer';
import { registerOrderMetrics } from './infra/service-metrics';
import { OrderLiveFeed } from './live/order-live-feed';

async function main(): Promise<void> {
  const config = readConfig();
  const c = createContainer(config);
  const { logger, useCases } = c;
  let ready = false;
  // One verifier setup (and one JWKS cache) for REST, the rate limit and the live streams.
  const auth = authOptionsFromConfig(config, logger);

  const app = await buildApp({
    useCases,
    auth,
    logger,
    ready: () => ready,
    metrics: true,
  });
  // /ws/orders/{user_id}/ (see src/live): pushed from this instance's own read of order.events.
  const live = new OrderLiveFeed(new LiveHub({ logger }), useCases.store, useCases.clock, logger);
  await app.register(liveUpdatesPlugin, { hub: live.hub, auth, streams: [live.stream(), live.storeStream()] });
  const grpc = await startGrpcServer({
    host: config.GRPC_HOST,
    port: config.GRPC_PORT,
    services: [{ definition: pb.OrderServiceService, implementation: orderGrpcService(useCases) }],
    logger,
    tls: grpcTlsFromConfig(config),
  });
  await c.bus.connect();
  // platform.sh creates the topics; creating the missing ones here lets a fresh prefix start too.
  await c.bus.ensureTopics(ALL_TOPICS.map((t) => topicName(config.KAFKA_TOPIC_PREFIX, t)));
  c.startRelay();
  const consumer: Subscription = await startSagaConsumer({
    bus: c.bus,
    saga: useCases.saga,
    adjustments: useCases.adjustments,
    groupId: config.SAGA_CONSUMER_GROUP,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    logger,
  });
  registerOrderMetrics({ db: c.db, brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID ?? 'order', groups: () => [consumer.groupId], logger });
  useCases.sweeper.start();
  await live.start(c.bus, config.KAFKA_TOPIC_PREFIX);
  await app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
  ready = true;
  grpc.setServing(true);
  logger.info({ http: config.HTTP_PORT, grpc: grpc.port }, 'order service ready');

  handleShutdownSignals(
    {
      notReady: () => {
        ready = false;
        grpc.setServing(false);
      },
      drain: {
        http: () => app.close(),
        grpc: () => grpc.close(),
        'kafka consumer': () => consumer.stop(),
        'live hub': () => live.stop(),
        // Its writes go through the outbox, so it finishes before the relay's last flush.
        'saga sweeper': () => useCases.sweeper.stop(),
      },
      // The relay flushes what the drained work wrote, then the bus, gRPC clients and pool close.
      close: { container: () => c.close() },
      telemetry,
    },
    { logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS, readinessGraceMs: config.SHUTDOWN_READINESS_GRACE_MS },
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
