import { grpcChannelCredentials, grpcTlsFromConfig, KafkaBus, OutboxRelay, parseBrokers, type Logger } from '@sudamall/shared';
import { kafkaRetryPolicy, ParkedMessages, SqlParkStore } from '@sudamall/shared';
import type { UseCaseDeps } from './app/deps';
import { GatewayRegistry, systemClock, type OrdersPort, type PaymentGateway } from './app/ports';
import { resumePendingRefunds } from './app/refund-payment';
import { RefundWorker } from './app/refund-worker';
import { resumeStalePayments } from './app/resume-stale-payments';
import { refundDuplicateCaptures } from './app/duplicate-captures';
import type { PaymentConfig } from './config';
import { CashOnDeliveryGateway } from './infra/gateways/cash-on-delivery';
import { PaypalGateway } from './infra/gateways/paypal-gateway';
import { StripeGateway } from './infra/gateways/stripe-gateway';
import { DelayedGateway } from './infra/gateways/delayed-gateway';
import { TestGateway } from './infra/gateways/test-gateway';
import { createPaymentLogger } from './infra/logger';
import { GrpcOrdersClient } from './infra/order-client';
import { createPrisma, type Db } from './infra/prisma';
import { PrismaGatewaySettingsStore } from './infra/gateway-settings-store';
import { PrismaChargeStore } from './infra/charge-store';
import { PrismaDuplicateCaptureStore, type DuplicateReporter } from './infra/duplicate-capture-store';
import { PrismaOrderCommandStore } from './infra/order-command-store';
import { PrismaPaymentStore } from './infra/payment-store';
import { PrismaRefundStore } from './infra/refund-store';
import { PrismaWebhookStore } from './infra/webhook-store';

export interface Container {
  config: PaymentConfig;
  logger: Logger;
  prisma: Db;
  useCases: UseCaseDeps;
  bus: KafkaBus;
  relay: OutboxRelay;
  /** Messages the commands consumer gave up on (its admin endpoints, the saga dashboard). */
  parked: ParkedMessages;
  /** Background recovery: pending refunds retried, payments left processing resumed or closed. */
  sweeper: { start(): void; stop(): Promise<void> };
  close(): Promise<void>;
}

export interface ContainerOverrides {
  /** Tests: a fake or in-process order peer instead of the gRPC client. */
  orders?: OrdersPort;
  /** Tests: gateways to use instead of (or in front of) the configured ones. */
  gateways?: PaymentGateway[];
  logger?: Logger;
}

/** The gateways this deployment offers; the test gateway only in test mode. */
export function configuredGateways(config: PaymentConfig): PaymentGateway[] {
  const gateways: PaymentGateway[] = [
    new StripeGateway({
      secretKey: config.STRIPE_SECRET_KEY,
      host: config.STRIPE_API_HOST,
      port: config.STRIPE_API_PORT,
      protocol: config.STRIPE_API_PROTOCOL,
      automaticPaymentMethods: config.STRIPE_AUTOMATIC_PAYMENT_METHODS,
      timeoutMs: config.STRIPE_TIMEOUT_MS,
      maxNetworkRetries: config.STRIPE_MAX_NETWORK_RETRIES,
    }),
    new PaypalGateway({
      baseUrl: config.PAYPAL_BASE_URL,
      clientId: config.PAYPAL_CLIENT_ID,
      clientSecret: config.PAYPAL_CLIENT_SECRET,
      timeoutMs: config.PAYPAL_TIMEOUT_MS,
    }),
    new CashOnDeliveryGateway(),
  ];
  if (config.testMode) {
    const delay = config.PAYMENT_TEST_GATEWAY_DELAY_MS;
    gateways.push(delay > 0 ? new DelayedGateway(new TestGateway(), delay) : new TestGateway());
  }
  return gateways;
}

export function createContainer(config: PaymentConfig, overrides: ContainerOverrides = {}): Container {
  const logger = overrides.logger ?? createPaymentLogger(config.LOG_LEVEL);
  const prisma = createPrisma(config.DATABASE_URL);
  // mTLS to order when GRPC_TLS_* are set (plaintext otherwise).
  const ordersClient = overrides.orders ? null : new GrpcOrdersClient(config.ORDER_GRPC_URL, undefined, grpcChannelCredentials(grpcTlsFromConfig(config)));
  const byName = new Map(configuredGateways(config).map((g) => [g.name, g]));
  for (const g of overrides.gateways ?? []) byName.set(g.name, g);

  // One clock for the use cases and the stores: what "stale" and every stored time are measured on.
  const clock = systemClock;
  const reportDuplicate: DuplicateReporter = (fields) => logger.error(fields, 'duplicate capture: recorded, refunded automatically');
  const gatewayStore = new PrismaGatewaySettingsStore(prisma);
  const payments = new PrismaPaymentStore(prisma, clock);
  const useCases: UseCaseDeps = {
    gatewayStore,
    payments,
    charges: new PrismaChargeStore(prisma, payments, clock, reportDuplicate),
    webhooks: new PrismaWebhookStore(prisma, clock, reportDuplicate),
    refunds: new PrismaRefundStore(prisma, clock),
    duplicateCaptures: new PrismaDuplicateCaptureStore(prisma, clock),
    orderCommands: new PrismaOrderCommandStore(prisma, clock),
    gatewaySettings: gatewayStore,
    orders: overrides.orders ?? (ordersClient as GrpcOrdersClient),
    gateways: new GatewayRegistry(byName.values()),
    clock,
    logger,
    settings: { currency: config.PAYMENT_CURRENCY, staleProcessingSeconds: config.staleProcessingSeconds },
  };
  // Saga refunds and voids leave the Kafka handler: it records them, this sends them.
  const refundWorker = new RefundWorker(useCases);
  useCases.refundQueue = refundWorker;

  const parked = new ParkedMessages(new SqlParkStore((sql, values) => prisma.$queryRawUnsafe<unknown[]>(sql, ...values)), { logger });
  const bus = new KafkaBus({
    brokers: parseBrokers(config.KAFKA_BROKERS),
    clientId: config.KAFKA_CLIENT_ID ?? 'payment',
    logger,
    parked,
    retry: kafkaRetryPolicy(config),
  });
  const relay = new OutboxRelay({ databaseUrl: config.DATABASE_URL, bus, logger, topicPrefix: config.KAFKA_TOPIC_PREFIX });

  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | undefined;
  const sweep = async () => {
    try {
      await resumePendingRefunds(useCases, config.PAYMENT_REFUND_RETRY_SECONDS);
      await resumeStalePayments(useCases);
      await refundDuplicateCaptures(useCases);
    } catch (err) {
      logger.error({ err }, 'recovery sweep failed');
    }
  };
  const sweeper = {
    start() {
      if (timer) return;
      // A slow gateway must not pile sweeps up: one at a time.
      timer = setInterval(() => {
        running ??= sweep().finally(() => (running = undefined));
      }, config.PAYMENT_REFUND_RETRY_SECONDS * 1000);
      timer.unref();
    },
    // Waits for a sweep in progress: it writes payments and outbox rows, so it ends before the
    // relay's last flush and the pool closes.
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
      // Same for refunds in flight; what it has not started stays pending for the next sweep.
      await refundWorker.stop();
    },
  };

  return {
    config,
    logger,
    prisma,
    useCases,
    bus,
    relay,
    parked,
    sweeper,
    async close() {
      await sweeper.stop();
      await relay.stop().catch((err: unknown) => logger.warn({ err }, 'outbox relay stop failed'));
      await bus.disconnect().catch((err: unknown) => logger.warn({ err }, 'kafka disconnect failed'));
      ordersClient?.close();
      await prisma.$disconnect();
    },
  };
}
