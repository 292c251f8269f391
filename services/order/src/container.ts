import {
  createParkedMessages,
  createServiceMessaging,
  grpcChannelCredentials,
  grpcTlsFromConfig,
  sqlOverPrisma,
  systemClock,
  type Clock,
  type Logger,
  type ParkedMessages,
  type SqlRunner,
} from '@sudamall/shared';
import type { PublishingServiceContainer } from '@sudamall/shared/service';
import { randomUUID } from 'node:crypto';
import { ApproveReturn } from './app/approve-return';
import { CancelOrder } from './app/cancel-order';
import type { CatalogPort, PaymentStatusPort } from './app/catalog';
import { CheckPayment } from './app/check-payment';
import { CollectCash } from './app/collect-cash';
import { CreateAddress } from './app/create-address';
import { DeleteAddress } from './app/delete-address';
import { GetOrder } from './app/get-order';
import { GetOrderForPayment } from './app/get-order-for-payment';
import { GetOrderView } from './app/get-order-view';
import { CountOverdueOrders } from './app/count-overdue-orders';
import { ListAdjustments } from './app/list-adjustments';
import { ListSagas } from './app/list-sagas';
import { GetPaymentWindow } from './app/get-payment-window';
import { GetProfile } from './app/get-profile';
import { ListAddresses } from './app/list-addresses';
import { ListOrders } from './app/list-orders';
import { ListReturns } from './app/list-returns';
import { OrderAdjustments } from './app/order-adjustments';
import { PlaceOrder } from './app/place-order';
import { RefuseDelivery } from './app/refuse-delivery';
import { RejectReturn } from './app/reject-return';
import { RequestReturn } from './app/request-return';
import { ResolveAddress } from './app/resolve-address';
import { UpdateAddress } from './app/update-address';
import { UpdateOrderStatus } from './app/update-order-status';
import { UpdateProfile } from './app/update-profile';
import { OrderFromCart, type CartCheckoutPort } from './app/order-from-cart';
import { SagaCoordinator } from './app/saga-coordinator';
import { HandleSagaReply } from './app/handle-saga-reply';
import { SweepSagas } from './app/sweep-sagas';
import { ExpireOverduePayments } from './app/expire-overdue-payments';
import { RetryAdjustment } from './app/retry-adjustment';
import { ActOnSaga } from './app/act-on-saga';
import { GetSagaDetail } from './app/get-saga-detail';
import { ListDashboardSagas } from './app/list-dashboard-sagas';
import type { OrderConfig } from './config';
import { PrismaAccountStore } from './infra/account-store';
import { PrismaUnitOfWork } from './infra/checkout-store';
import { createHotPathSql } from './infra/hot-path-sql';
import { CartCheckoutClient, InventoryCatalog, PaymentStatusClient } from './infra/grpc-clients';
import { presentOrderDetail, type OrderDetailView } from './http/presenters';
import { OrderStore } from './infra/order-store';
import { createPrisma, type Db } from './infra/prisma';
import { PrismaDueSagas } from './infra/saga-sweeper';
import { GrpcPaymentLookup, PrismaSagaAdminStore } from './infra/saga-admin-store';

/** What the transports (REST, gRPC, Kafka consumer, timers) call. */
export interface OrderUseCases {
  placeOrder: PlaceOrder;
  /** POST orders/create/ without items: cart's checkout of the buyer's cart. */
  orderFromCart: OrderFromCart;
  placeOrderWaitMs: number;
  getOrder: GetOrder;
  /** The whole order for another service (gRPC). */
  getOrderView: GetOrderView;
  getOrderForPayment: GetOrderForPayment;
  listOrders: ListOrders;
  getPaymentWindow: GetPaymentWindow;
  checkPayment: CheckPayment;
  cancelOrder: CancelOrder;
  updateOrderStatus: UpdateOrderStatus;
  /** Returns after delivery: requested by the buyer, answered by the store. */
  listReturns: ListReturns;
  requestReturn: RequestReturn;
  approveReturn: ApproveReturn;
  rejectReturn: RejectReturn;
  /** Cash on delivery, collected (or refused) store by store. */
  collectCash: CollectCash;
  refuseDelivery: RefuseDelivery;
  /** Profiles and saved addresses (/api/v1/accounts/). */
  getProfile: GetProfile;
  updateProfile: UpdateProfile;
  listAddresses: ListAddresses;
  createAddress: CreateAddress;
  updateAddress: UpdateAddress;
  deleteAddress: DeleteAddress;
  /** Admins: the saga list, the adjustments list, overdue orders. */
  listSagas: ListSagas;
  listAdjustments: ListAdjustments;
  countOverdueOrders: CountOverdueOrders;
  saga: SagaCoordinator;
  /** Cancellations after payment and returns, each a saga of its own. */
  adjustments: OrderAdjustments;
  /** The saga consumer's one use case (infra/saga-consumer.ts). */
  handleSagaReply: HandleSagaReply;
  /** The saga's timers: expiry, re-sends, stuck flags (the kernel's job, infra/saga-sweeper.ts). */
  sweepSagas: SweepSagas;
  /** Admins: cancel every order past its payment window now. */
  expireOverduePayments: ExpireOverduePayments;
  /** Admins: re-send a running cancellation's or return's command. */
  retryAdjustment: RetryAdjustment;
  /** The saga dashboard: list, inspect, and the operator actions. */
  listDashboardSagas: ListDashboardSagas;
  getSagaDetail: GetSagaDetail<OrderDetailView>;
  actOnSaga: ActOnSaga;
  /** Messages the saga consumer gave up on (the dashboard's "Parked messages"). */
  parked: ParkedMessages;
  store: OrderStore;
  clock: Clock;
}

// bus, relay and parked (the saga consumer's parked messages) come with PublishingServiceContainer.
export interface Container extends PublishingServiceContainer {
  config: Readonly<OrderConfig>;
  logger: Logger;
  db: Db;
  /** Raw SQL over the same Prisma client (the outbox and saga gauges, the parked messages). */
  sql: SqlRunner;
  useCases: OrderUseCases;
}

/** What tests and tools may bring instead of the real peers and clock. */
export interface ContainerOverrides {
  catalog?: CatalogPort;
  payments?: PaymentStatusPort | null;
  cart?: CartCheckoutPort | null;
  clock?: Clock;
}

/** Wires the service once; REST, gRPC, the saga consumer and the timers all take their use cases from here. */
export function createContainer(config: Readonly<OrderConfig>, logger: Logger, overrides: ContainerOverrides = {}): Container {
  const clock = overrides.clock ?? systemClock;
  const db = createPrisma(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const sql = sqlOverPrisma(db);
  // The checkout's statements and saga replies skip Prisma (infra/hot-path-sql.ts), on a pool
  // of the same size as Prisma's.
  const hotSql = createHotPathSql(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const uow = new PrismaUnitOfWork(db, clock, hotSql);
  const store = new OrderStore(db, hotSql);
  // mTLS to the peers when GRPC_TLS_* are set (plaintext otherwise).
  const grpcCreds = grpcChannelCredentials(grpcTlsFromConfig(config));
  // The real peers unless a test brought its own; the ones made here are closed with the container.
  let inventoryClient: InventoryCatalog | null = null;
  const catalog: CatalogPort = overrides.catalog ?? (inventoryClient = new InventoryCatalog(config.INVENTORY_GRPC_URL, undefined, grpcCreds));
  const paymentClient = overrides.payments !== undefined ? null : new PaymentStatusClient(config.PAYMENT_GRPC_URL, undefined, grpcCreds);
  const cartClient = overrides.cart !== undefined ? null : new CartCheckoutClient(config.CART_GRPC_URL, config.CART_CHECKOUT_TIMEOUT_MS, grpcCreds);
  const payments = overrides.payments !== undefined ? overrides.payments : paymentClient;

  const saga = new SagaCoordinator(uow, clock, {
    paymentWindowMs: config.PAYMENT_WINDOW_SECONDS * 1000,
    reservationMarginMs: config.RESERVATION_EXPIRY_MARGIN_SECONDS * 1000,
    retryBaseMs: config.SAGA_RETRY_BASE_MS,
    retryMaxMs: config.SAGA_RETRY_MAX_MS,
    stepTimeoutMs: config.SAGA_STEP_TIMEOUT_SECONDS * 1000,
    maxAttempts: config.SAGA_MAX_ATTEMPTS,
  });
  const adjustments = new OrderAdjustments(
    uow,
    payments,
    clock,
    { retryBaseMs: config.SAGA_RETRY_BASE_MS, retryMaxMs: config.SAGA_RETRY_MAX_MS, maxAttempts: config.SAGA_MAX_ATTEMPTS },
    randomUUID,
    logger,
    (orderId, status) => saga.notifyOrderChanged(orderId, status),
  );
  const due = new PrismaDueSagas(uow);
  const parked = createParkedMessages(sql, logger);
  const messaging = createServiceMessaging({ service: 'order', config, logger, parked, outbox: { pollMs: config.OUTBOX_POLL_MS } });
  const { bus, relay } = messaging;
  // The relay's last flush publishes through Kafka: only one that was started (by the kernel, or
  // a test with Kafka) is stopped with a flush; a REST-only test never starts it.
  let relayStarted = false;
  const startRelay = relay.start.bind(relay);
  relay.start = () => {
    relayStarted = true;
    return startRelay();
  };

  const accountStore = new PrismaAccountStore(db);
  const window = { testMode: config.ORDER_TEST_MODE ?? false, windowSeconds: config.PAYMENT_WINDOW_SECONDS };
  const cancelOrder = new CancelOrder(uow, saga, adjustments, store);
  // The saga dashboard's reads and actions; it shows the order as GET orders/{id}/ does.
  const sagaAdminStore = new PrismaSagaAdminStore(
    db,
    async (orderId) => {
      const order = await store.getDetail(orderId);
      return order && presentOrderDetail(order);
    },
    clock,
  );
  const useCases: OrderUseCases = {
    placeOrder: new PlaceOrder(catalog, store, saga, new ResolveAddress(accountStore), window),
    orderFromCart: new OrderFromCart(overrides.cart !== undefined ? overrides.cart : cartClient),
    placeOrderWaitMs: config.PLACE_ORDER_WAIT_MS,
    getOrder: new GetOrder(store, payments),
    getOrderView: new GetOrderView(store),
    getOrderForPayment: new GetOrderForPayment(store, clock),
    listOrders: new ListOrders(store, payments),
    getPaymentWindow: new GetPaymentWindow(store, clock),
    checkPayment: new CheckPayment(store, clock, payments),
    cancelOrder,
    updateOrderStatus: new UpdateOrderStatus(uow, saga, cancelOrder, store),
    listReturns: new ListReturns(store),
    requestReturn: new RequestReturn(uow, clock, config.RETURN_WINDOW_DAYS, randomUUID),
    approveReturn: new ApproveReturn(uow, adjustments),
    rejectReturn: new RejectReturn(uow),
    collectCash: new CollectCash(uow, adjustments),
    refuseDelivery: new RefuseDelivery(uow, adjustments),
    getProfile: new GetProfile(accountStore),
    updateProfile: new UpdateProfile(accountStore),
    listAddresses: new ListAddresses(accountStore),
    createAddress: new CreateAddress(accountStore, randomUUID),
    updateAddress: new UpdateAddress(accountStore),
    deleteAddress: new DeleteAddress(accountStore),
    listSagas: new ListSagas(store, clock),
    listAdjustments: new ListAdjustments(store),
    countOverdueOrders: new CountOverdueOrders(store, clock),
    saga,
    adjustments,
    handleSagaReply: new HandleSagaReply(saga, adjustments),
    sweepSagas: new SweepSagas(due, saga, adjustments, clock, logger),
    expireOverduePayments: new ExpireOverduePayments(due, saga, clock, logger),
    retryAdjustment: new RetryAdjustment(uow, adjustments, logger),
    store,
    parked,
    listDashboardSagas: new ListDashboardSagas(sagaAdminStore, clock),
    getSagaDetail: new GetSagaDetail(sagaAdminStore, paymentClient ? new GrpcPaymentLookup(paymentClient.client) : null, config.TRACE_URL_TEMPLATE),
    actOnSaga: new ActOnSaga(sagaAdminStore, saga),
    clock,
  };

  return {
    config,
    logger,
    db,
    sql,
    bus,
    relay,
    parked,
    useCases,
    ping: () => sql.query('SELECT 1'),
    async close() {
      // The consumer and the sweep job were drained first (the kernel, or the test harness): what
      // they wrote is in the outbox, which the relay's last flush publishes before the bus closes.
      if (relayStarted) await messaging.close();
      else await bus.disconnect();
      inventoryClient?.close();
      paymentClient?.close();
      cartClient?.close();
      await db.$disconnect();
      await hotSql.close();
    },
  };
}
