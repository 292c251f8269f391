// telemetry → config → container → http + grpc + consumers → graceful close.
// Telemetry first (its own module, imported before anything it instruments).
import { telemetry } from './telemetry';
import { cart } from '@sudamall/proto';
import { KafkaBus, LiveHub, createLogger, liveUpdatesPlugin, parseBrokers, startGrpcServer, type Subscription } from '@sudamall/shared';
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
  let closing = false;

  const bus = new KafkaBus({ brokers: parseBrokers(config.KAFKA_BROKERS), clientId: config.KAFKA_CLIENT_ID ?? 'cart', logger });
  const subscriptions: Subscription[] = config.CONSUMERS_ENABLED
    ? await startConsumers(bus, container.useCases, { topicPrefix: config.KAFKA_TOPIC_PREFIX, logger })
    : [];

  registerCartMetrics({ query: (sql) => container.db.query(sql), brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID ?? 'cart', groups: () => subscriptions.map((s) => s.groupId), logger });
  const app = await buildApp({
    useCases: container.useCases,
    auth: { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
    logger,
    metrics: true,
    ready: async () => {
      if (closing) return false;
      await container.db.query('SELECT 1');
      return true;
    },
  });
  // /ws/cart/{user_id}/ (see src/live): every instance LISTENs to the cart's own change notifications.
  const live = new CartLiveFeed(new LiveHub({ logger }), container.useCases.getCart, container.db, logger, { databaseUrl: config.DATABASE_URL });
  await app.register(liveUpdatesPlugin, { hub: live.hub, auth: { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }, streams: [live.stream()] });
  await live.start();
  const grpc = await startGrpcServer({
    host: config.GRPC_HOST,
    port: config.GRPC_PORT,
    services: [{ definition: cart.CartServiceService, implementation: cartServiceImplementation(container.useCases) }],
    logger,
  });
  await app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
  grpc.setServing(true);
  logger.info({ http: config.HTTP_PORT, grpc: grpc.port }, 'cart service started');

  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    grpc.setServing(false);
    // Stop taking work first, then finish what is in flight, then drop connections.
    await Promise.allSettled([app.close(), grpc.close(), ...subscriptions.map((s) => s.stop()), live.stop()]);
    await Promise.allSettled([bus.disconnect(), container.close()]);
    await telemetry.shutdown().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  // eslint-disable-next-line no-console
  console.error(err);
  process.exit(1);
});
