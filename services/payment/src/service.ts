// What the payment service is made of; the kernel (@sudamall/shared/service) runs it in the one
// order every service shares (docs/architecture.md, "The service kernel").
import { payment as pb } from '@sudamall/proto';
import { Topics } from '@sudamall/shared';
import { defineService, every } from '@sudamall/shared/service';
import { loadConfig, startupWarnings } from './config';
import { createContainer } from './container';
import { paymentGrpcService } from './grpc/payment-service';
import { buildApp } from './http/app';
import { httpSettingsFrom } from './http/app-deps';
import { createPaymentLogger } from './infra/logger';
import { paymentCommandsConsumer } from './infra/payment-commands-consumer';
import { registerDuplicateCaptureMetrics } from './infra/service-metrics';

export const paymentService = defineService({
  name: 'payment',
  loadConfig,
  // Card numbers and CVCs censored wherever they appear.
  createLogger: (config) => createPaymentLogger(config.LOG_LEVEL),
  createContainer: (config, logger) => createContainer(config, logger),
  startupWarnings,
  logFields: (config) => ({ test_mode: config.testMode }),
  http: (c, { config, auth, logger, ready }) =>
    buildApp({
      useCases: c.useCases,
      logger,
      parked: c.parked,
      auth,
      settings: httpSettingsFrom(config),
      // /ws/payments/{payment_id}/ is registered by buildApp (its app is ready on return).
      live: { hub: c.live.hub, auth, streams: [c.live.stream()] },
      ready,
    }),
  grpc: (c) => [{ definition: pb.PaymentServiceService, implementation: paymentGrpcService(c.useCases) }],
  topics: [Topics.paymentCommands, Topics.paymentEvents],
  consumers: (c) => [paymentCommandsConsumer(c.useCases, c.logger)],
  jobs: (c, { config }) => {
    // One sweep at a time (a slow gateway must not pile sweeps up); stopped in the drain, and the
    // refund worker with it, so their payment and outbox writes end before the relay's last flush.
    const sweep = every(config.PAYMENT_REFUND_RETRY_SECONDS * 1000, 'recovery sweep', () => c.recover());
    return [
      {
        ...sweep,
        stop: async () => {
          await sweep.stop();
          await c.refundWorker.stop();
        },
      },
    ];
  },
  live: (c, { config }) => [{ start: () => c.live.start(c.bus, config.KAFKA_TOPIC_PREFIX), stop: () => c.live.stop() }],
  metrics: (c) => registerDuplicateCaptureMetrics((sql) => c.sql.query(sql), c.logger),
});
