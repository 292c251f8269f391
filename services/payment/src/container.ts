import {
  createParkedMessages,
  createServiceMessaging,
  grpcChannelCredentials,
  grpcTlsFromConfig,
  LiveHub,
  sqlOverPrisma,
  systemClock,
  type Logger,
  type SqlRunner,
} from '@sudamall/shared';
import type { PublishingServiceContainer } from '@sudamall/shared/service';
import { CollectPayment } from './app/collect-payment';
import { CreatePayment } from './app/create-payment';
import type { UseCaseDeps } from './app/deps';
import { GetOrderPaymentStatus } from './app/get-order-payment-status';
import { GetPaymentDetail } from './app/get-payment-detail';
import { ListGateways } from './app/list-gateways';
import { ListMyPayments, ListPayments } from './app/list-payments';
import { GetOrderPaymentForPeer, GetPaymentForPeer } from './app/peer-payments';
import { GetRefund, ListRefunds } from './app/list-refunds';
import { RunTestPayment } from './app/run-test-payment';
import { ListGatewaySettingsAudit, UpdateGatewaySettings } from './app/update-gateway-settings';
import { GatewayRegistry, type OrdersPort, type PaymentGateway } from './app/ports';
import { CreateRefund, ResumePendingRefunds, SettleRefund } from './app/refund-payment';
import { RefundWorker } from './app/refund-worker';
import { ResumeStalePayments } from './app/resume-stale-payments';
import { ListDuplicateCaptures, RefundDuplicateCaptures } from './app/duplicate-captures';
import { ApplySimulatedWebhook, ApplyStripeWebhook } from './app/apply-webhook';
import { ChargeOutcomes } from './app/charge-outcome';
import { HandlePaymentCommand } from './app/handle-payment-command';
import { ProcessPayment } from './app/process-payment';
import type { PaymentConfig } from './config';
import { CashOnDeliveryGateway } from './infra/gateways/cash-on-delivery';
import { PaypalGateway } from './infra/gateways/paypal-gateway';
import { StripeGateway } from './infra/gateways/stripe-gateway';
import { DelayedGateway } from './infra/gateways/delayed-gateway';
import { TestGateway } from './infra/gateways/test-gateway';
import { GrpcOrdersClient } from './infra/order-client';
import { createPrisma, type Db } from './infra/prisma';
import { PrismaGatewaySettingsStore } from './infra/gateway-settings-store';
import { PrismaChargeStore } from './infra/charge-store';
import { PrismaDuplicateCaptureStore, type DuplicateReporter } from './infra/duplicate-capture-store';
import { PrismaOrderCommandStore } from './infra/order-command-store';
import { PrismaPaymentStore } from './infra/payment-store';
import { PrismaRefundStore } from './infra/refund-store';
import { PrismaWebhookStore } from './infra/webhook-store';
import { createPaymentSql } from './infra/sql';
import { PaymentLiveFeed } from './live/payment-live-feed';

/** Payment's use cases, built once here; routes, gRPC, the commands consumer and the recovery job take them from this record. */
export interface PaymentUseCases {
  createPayment: CreatePayment;
  collectPayment: CollectPayment;
  getOrderPaymentStatus: GetOrderPaymentStatus;
  getPaymentDetail: GetPaymentDetail;
  getOrderPaymentForPeer: GetOrderPaymentForPeer;
  getPaymentForPeer: GetPaymentForPeer;
  listMyPayments: ListMyPayments;
  listPayments: ListPayments;
  listGateways: ListGateways;
  listRefunds: ListRefunds;
  getRefund: GetRefund;
  runTestPayment: RunTestPayment;
  updateGatewaySettings: UpdateGatewaySettings;
  listGatewaySettingsAudit: ListGatewaySettingsAudit;
  processPayment: ProcessPayment;
  applyStripeWebhook: ApplyStripeWebhook;
  applySimulatedWebhook: ApplySimulatedWebhook;
  handlePaymentCommand: HandlePaymentCommand;
  createRefund: CreateRefund;
  resumePendingRefunds: ResumePendingRefunds;
  resumeStalePayments: ResumeStalePayments;
  refundDuplicateCaptures: RefundDuplicateCaptures;
  listDuplicateCaptures: ListDuplicateCaptures;
}

export interface Container extends PublishingServiceContainer {
  config: PaymentConfig;
  logger: Logger;
  prisma: Db;
  /** Raw SQL over the same Prisma client (readiness, the parked messages, the kernel's outbox gauges). */
  sql: SqlRunner;
  useCases: PaymentUseCases;
  /** The stores, ports, clock and settings the use cases are built from (tests reach the stores through it). */
  useCaseDeps: UseCaseDeps;
  // bus, relay and parked (the commands consumer's parked messages) come with PublishingServiceContainer.
  /** /ws/payments/{payment_id}/ (src/live): pushed from this instance's own read of payment.events. */
  live: PaymentLiveFeed;
  /** Sends saga refunds and voids outside the Kafka handler; stopped with the recovery job, before the relay's last flush. */
  refundWorker: RefundWorker;
  /** One recovery sweep: pending refunds retried, payments left processing resumed or closed, duplicate captures refunded. */
  recover(): Promise<void>;
  ping(): Promise<unknown>;
}

export interface ContainerOverrides {
  /** Tests: a fake or in-process order peer instead of the gRPC client. */
  orders?: OrdersPort;
  /** Tests: gateways to use instead of (or in front of) the configured ones. */
  gateways?: PaymentGateway[];
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

export function createContainer(config: PaymentConfig, logger: Logger, overrides: ContainerOverrides = {}): Container {
  const prisma = createPrisma(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const sql = sqlOverPrisma(prisma);
  // mTLS to order when GRPC_TLS_* are set (plaintext otherwise).
  const ordersClient = overrides.orders ? null : new GrpcOrdersClient(config.ORDER_GRPC_URL, undefined, grpcChannelCredentials(grpcTlsFromConfig(config)));
  const byName = new Map(configuredGateways(config).map((g) => [g.name, g]));
  for (const g of overrides.gateways ?? []) byName.set(g.name, g);

  // One clock for the use cases and the stores: what "stale" and every stored time are measured on.
  const clock = systemClock;
  const reportDuplicate: DuplicateReporter = (fields) => logger.error(fields, 'duplicate capture: recorded, refunded automatically');
  const gatewayStore = new PrismaGatewaySettingsStore(prisma);
  // The checkout's statements (create, process: payment-sql.ts) on node-postgres, beside Prisma's pool.
  const checkoutSql = createPaymentSql(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const payments = new PrismaPaymentStore(prisma, clock, checkoutSql);
  const deps: UseCaseDeps = {
    gatewayStore,
    payments,
    charges: new PrismaChargeStore(prisma, checkoutSql, payments, clock, reportDuplicate),
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
  const settleRefund = new SettleRefund(deps.refunds, deps.gateways, clock, logger, config.staleProcessingSeconds);
  const refundWorker = new RefundWorker(settleRefund, logger);
  const stale = config.staleProcessingSeconds;
  const refundDuplicateCaptures = new RefundDuplicateCaptures(deps.duplicateCaptures, deps.gateways, clock, logger, stale);
  const outcomes = new ChargeOutcomes(deps.charges, deps.gateways, refundDuplicateCaptures, logger);
  const useCases: PaymentUseCases = {
    createPayment: new CreatePayment(payments, deps.orders, deps.gateways, clock, config.PAYMENT_CURRENCY),
    collectPayment: new CollectPayment(payments, deps.orders, logger),
    getOrderPaymentStatus: new GetOrderPaymentStatus(payments),
    getPaymentDetail: new GetPaymentDetail(payments),
    getOrderPaymentForPeer: new GetOrderPaymentForPeer(payments),
    getPaymentForPeer: new GetPaymentForPeer(payments),
    listMyPayments: new ListMyPayments(payments),
    listPayments: new ListPayments(payments),
    listGateways: new ListGateways(gatewayStore, deps.gateways),
    listRefunds: new ListRefunds(deps.refunds),
    getRefund: new GetRefund(deps.refunds),
    runTestPayment: new RunTestPayment(gatewayStore, deps.gateways, config.PAYMENT_CURRENCY),
    updateGatewaySettings: new UpdateGatewaySettings(gatewayStore, clock),
    listGatewaySettingsAudit: new ListGatewaySettingsAudit(gatewayStore),
    createRefund: new CreateRefund(payments, deps.refunds, settleRefund),
    processPayment: new ProcessPayment(payments, deps.charges, deps.orders, deps.gateways, outcomes, clock, logger, stale),
    applyStripeWebhook: new ApplyStripeWebhook(deps.webhooks, refundDuplicateCaptures, clock, logger),
    applySimulatedWebhook: new ApplySimulatedWebhook(payments, deps.webhooks, refundDuplicateCaptures),
    resumeStalePayments: new ResumeStalePayments(payments, deps.charges, deps.orders, deps.gateways, outcomes, clock, logger, stale),
    refundDuplicateCaptures,
    listDuplicateCaptures: new ListDuplicateCaptures(deps.duplicateCaptures),
    handlePaymentCommand: new HandlePaymentCommand(deps.orderCommands, deps.gateways, logger, refundWorker),
    resumePendingRefunds: new ResumePendingRefunds(deps.refunds, settleRefund, clock, logger, config.staleProcessingSeconds),
  };

  const parked = createParkedMessages(sql, logger);
  const messaging = createServiceMessaging({ service: 'payment', config, logger, parked, outbox: {} });

  return {
    config,
    logger,
    prisma,
    sql,
    useCases,
    useCaseDeps: deps,
    bus: messaging.bus,
    relay: messaging.relay,
    parked,
    live: new PaymentLiveFeed(new LiveHub({ logger }), payments),
    refundWorker,
    async recover() {
      await useCases.resumePendingRefunds.execute(config.PAYMENT_REFUND_RETRY_SECONDS);
      await useCases.resumeStalePayments.execute();
      await useCases.refundDuplicateCaptures.execute();
    },
    ping: () => sql.query('SELECT 1'),
    async close() {
      // Refunds in flight write payments and outbox rows: they end before the relay's last flush
      // (what the worker has not started stays pending for the next sweep).
      await refundWorker.stop();
      await messaging.close();
      ordersClient?.close();
      await prisma.$disconnect();
      await checkoutSql.close();
    },
  };
}
