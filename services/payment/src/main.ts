// Payment service entry: telemetry → config → container → http + grpc + consumers → graceful close.
import { telemetry } from './instrument';
import { payment as pb } from '@sudamall/proto';
import {
  authOptionsFromConfig,
  consumerGroupName,
  grpcTlsFromConfig,
  handleShutdownSignals,
  LiveHub,
  startGrpcServer,
  topicName,
  Topics,
  type Subscription,
} from '@sudamall/shared';
import { readConfig, startupWarnings } from './config';
import { createContainer } from './container';
import { paymentGrpcService } from './grpc/payment-service';
import { buildApp } from './http/build-app';
import { startPaymentCommandsConsumer } from './infra/payment-commands-consumer';
import { registerPaymentMetrics } from './infra/service-metrics';
import { PaymentLiveFeed } from './live/payment-live-feed';

async function main(): Promise<void> {
  const config = readConfig();
  const c = createContainer(config);
  const { logger, useCases } = c;
  for (const warning of startupWarnings(config)) logger.warn({ test_mode: config.testMode, node_env: config.NODE_ENV }, warning);
  let ready = false;
  // /ws/payments/{payment_id}/ (see src/live): pushed from this instance's own read of payment.events.
  const live = new PaymentLiveFeed(new LiveHub({ logger }), useCases.payments);
  // One verifier setup (and one JWKS cache) for REST, the rate limit and the live streams.
  const auth = authOptionsFromConfig(config, logger);

  const app = await buildApp({
    useCases,
    logger,
    parked: c.parked,
    auth,
    settings: {
      testMode: config.testMode,
      production: config.NODE_ENV === 'production',
      currency: config.PAYMENT_CURRENCY,
      paymentWindowMinutes: config.PAYMENT_WINDOW_MINUTES,
      stripePublishableKey: config.STRIPE_PUBLISHABLE_KEY,
      stripeWebhookSecret: config.stripeWebhookSecret,
      stripeWebhookToleranceSeconds: config.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
      paypalClientId: config.PAYPAL_CLIENT_ID,
    },
    live: { hub: live.hub, auth, streams: [live.stream()] },
    ready: async () => {
      if (!ready) return false;
      await c.prisma.$queryRawUnsafe('SELECT 1');
      return true;
    },
  });
  const grpc = await startGrpcServer({
    host: config.GRPC_HOST,
    port: config.GRPC_PORT,
    services: [{ definition: pb.PaymentServiceService, implementation: paymentGrpcService(useCases) }],
    logger,
    tls: grpcTlsFromConfig(config),
  });
  await c.bus.connect();
  // Idempotent: platform.sh creates them too, but a prefixed deployment (demo, tests) needs its own.
  await c.bus.ensureTopics(
    [Topics.paymentCommands, Topics.paymentEvents].map((t) => topicName(config.KAFKA_TOPIC_PREFIX, t)),
    3,
  );
  await c.relay.start();
  const consumer: Subscription = await startPaymentCommandsConsumer(
    useCases,
    c.bus,
    config.KAFKA_TOPIC_PREFIX,
    consumerGroupName(config.KAFKA_TOPIC_PREFIX, 'payment-service'),
  );
  registerPaymentMetrics({
    query: (sql) => c.prisma.$queryRawUnsafe(sql),
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID ?? 'payment',
    groups: () => [consumer.groupId],
    logger,
  });
  c.sweeper.start();
  await live.start(c.bus, config.KAFKA_TOPIC_PREFIX);
  await app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
  ready = true;
  grpc.setServing(true);
  logger.info({ http: config.HTTP_PORT, grpc: grpc.port, test_mode: config.testMode }, 'payment service ready');

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
        'recovery sweeper': () => c.sweeper.stop(),
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
