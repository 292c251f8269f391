// telemetry → config → container → http + grpc + consumers → graceful close.
// Telemetry first (its own module, imported before anything it instruments).
import { telemetry } from './telemetry';
import { cart } from '@sudamall/proto';
import {
  KafkaBus,
  LiveHub,
  authOptionsFromConfig,
  grpcTlsFromConfig,
  createLogger,
  handleShutdownSignals,
  liveUpdatesPlugin,
  parseBrokers,
  startGrpcServer,
  type Subscription,
} from '@sudamall/shared';
import { kafkaRetryPolicy } from '@sudamall/shared';
import { loadCartConfig } from './config';
import { createContainer } from './container';
import { buildApp } from './http/app';
import { cartServiceImplementation } from './grpc/cart-service';
import { startConsumers } from './infra/consumers';
import { registerCartMetrics } from './infra/service-metrics';
import { CartLiveFeed } from './live/cart-live-feed';

async function main(): Promise<void> {
  const config = loadCartConfig();
  const logger = createLogger({ name: 'cart', level: config.LOG_LEVEL });
  const container = createContainer(config, logger);
  let ready = false;

  const bus = new KafkaBus({
    brokers: parseBrokers(config.KAFKA_BROKERS),
    clientId: config.KAFKA_CLIENT_ID ?? 'cart',
    logger,
    parked: container.parked,
    retry: kafkaRetryPolicy(config),
  });
  const subscriptions: Subscription[] = config.CONSUMERS_ENABLED
    ? await startConsumers(bus, container.useCases, { topicPrefix: config.KAFKA_TOPIC_PREFIX, logger })
    : [];

  registerCartMetrics({
    query: (sql) => container.db.query(sql),
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID ?? 'cart',
    groups: () => subscriptions.map((s) => s.groupId),
    logger,
  });
  // One verifier setup (and one JWKS cache) for REST, the rate limit and the live streams.
  const auth = authOptionsFromConfig(config, logger);
  const app = await buildApp({
    useCases: container.useCases,
    parked: container.parked,
    auth,
    logger,
    metrics: true,
    ready: async () => {
      if (!ready) return false;
      await container.db.query('SELECT 1');
      return true;
    },
  });
  // /ws/cart/{user_id}/ (see src/live): every instance LISTENs to the cart's own change notifications.
  const live = new CartLiveFeed(new LiveHub({ logger }), container.useCases.getCart, container.db, logger, { databaseUrl: config.DATABASE_URL });
  await app.register(liveUpdatesPlugin, { hub: live.hub, auth, streams: [live.stream()] });
  await live.start();
  const grpc = await startGrpcServer({
    host: config.GRPC_HOST,
    port: config.GRPC_PORT,
    services: [{ definition: cart.CartServiceService, implementation: cartServiceImplementation(container.useCases) }],
    logger,
    tls: grpcTlsFromConfig(config),
  });
  await app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
  ready = true;
  grpc.setServing(true);
  logger.info({ http: config.HTTP_PORT, grpc: grpc.port }, 'cart service started');

  handleShutdownSignals(
    {
      notReady: () => {
        ready = false;
        grpc.setServing(false);
      },
      drain: {
        http: () => app.close(),
        grpc: () => grpc.close(),
        ...Object.fromEntries(subscriptions.map((s) => [`kafka consumer ${s.groupId}`, () => s.stop()])),
        'live hub': () => live.stop(),
      },
      // Cart publishes nothing (no outbox): disconnect the bus, then close the pool and clients.
      close: { 'kafka bus': () => bus.disconnect(), container: () => container.close() },
      telemetry,
    },
    { logger, timeoutMs: config.SHUTDOWN_TIMEOUT_MS, readinessGraceMs: config.SHUTDOWN_READINESS_GRACE_MS },
  );
}

main().catch((err: unknown) => {
  // eslint-disable-next-line no-console
  console.error(err);
  process.exit(1);
});
