// Wires the infrastructure into the use cases, once, for every transport (REST, gRPC, Kafka).
import { createParkedMessages, createServiceMessaging, systemClock, type Clock, type Logger } from '@sudamall/shared';
import type { ServiceContainer } from '@sudamall/shared/service';
import { AdjustStock, SetStock } from './app/change-stock';
import { RemoveSize, RenameSize } from './app/change-size';
import { CheckAvailability } from './app/check-availability';
import { CreateProduct } from './app/create-product';
import { DeleteProduct } from './app/delete-product';
import { GetProduct } from './app/get-product';
import { GetProductHistory } from './app/get-product-history';
import { GetProducts } from './app/get-products';
import { ListProducts } from './app/list-products';
import { ConfirmReservation } from './app/confirm-reservation';
import { ReleaseExpiredReservations } from './app/release-expired';
import { ReleaseReservation } from './app/release-reservation';
import { ReservationEngine } from './app/reservation-engine';
import { RestockLines } from './app/restock-lines';
import { RestockOrder } from './app/restock-order';
import { CreateSnapshots, GetSnapshot } from './app/snapshots';
import { UpdateProduct } from './app/update-product';
import type { InventoryConfig } from './config';
import { CatalogueStore } from './infra/catalogue-store';
import { createPrisma } from './infra/prisma';
import { createRedis, redisReady } from './infra/redis';
import { createReservationSql, ReservationStore } from './infra/reservation-store';
import { StockLocks } from './infra/stock-locks';

/** The catalogue's use cases: REST routes and gRPC handlers call these. */
export interface CatalogueUseCases {
  listProducts: ListProducts;
  getProduct: GetProduct;
  getProductHistory: GetProductHistory;
  getProducts: GetProducts;
  checkAvailability: CheckAvailability;
  createProduct: CreateProduct;
  updateProduct: UpdateProduct;
  setStock: SetStock;
  adjustStock: AdjustStock;
  renameSize: RenameSize;
  removeSize: RemoveSize;
  deleteProduct: DeleteProduct;
  createSnapshots: CreateSnapshots;
  getSnapshot: GetSnapshot;
}

/** The catalogue's use cases over one store and clock (tests build them over the test database). */
export function catalogueUseCases(store: CatalogueStore, clock: Clock = systemClock): CatalogueUseCases {
  return {
    listProducts: new ListProducts(store),
    getProduct: new GetProduct(store),
    getProductHistory: new GetProductHistory(store),
    getProducts: new GetProducts(store),
    checkAvailability: new CheckAvailability(store),
    createProduct: new CreateProduct(store),
    updateProduct: new UpdateProduct(store),
    setStock: new SetStock(store, clock),
    adjustStock: new AdjustStock(store, clock),
    renameSize: new RenameSize(store, clock),
    removeSize: new RemoveSize(store, clock),
    deleteProduct: new DeleteProduct(store, clock),
    createSnapshots: new CreateSnapshots(store),
    getSnapshot: new GetSnapshot(store),
  };
}

/** The reservation entry points beside Reserve (the engine's): none of them batches, each is one statement or transaction. */
export interface ReservationUseCases {
  confirm: ConfirmReservation;
  release: ReleaseReservation;
  restock: RestockOrder;
  restockLines: RestockLines;
  releaseExpired: ReleaseExpiredReservations;
}

export function reservationUseCases(store: ReservationStore): ReservationUseCases {
  return {
    confirm: new ConfirmReservation(store),
    release: new ReleaseReservation(store),
    restock: new RestockOrder(store),
    restockLines: new RestockLines(store),
    releaseExpired: new ReleaseExpiredReservations(store),
  };
}

/**
 * Beside what the kernel reads (ServiceContainer: `sql` is the hot path's runner, `parked` the
 * messages the commands consumer gave up on, `bus`/`relay` absent with KAFKA_ENABLED=false):
 */
export interface Container extends ServiceContainer {
  config: InventoryConfig;
  logger: Logger;
  store: ReservationStore;
  engine: ReservationEngine;
  reservations: ReservationUseCases;
  useCases: CatalogueUseCases;
}

export interface ContainerOverrides {
  /** Tests may move time. */
  clock?: Clock;
}

export async function createContainer(config: InventoryConfig, logger: Logger, overrides: ContainerOverrides = {}): Promise<Container> {
  const clock = overrides.clock ?? systemClock;
  const prisma = createPrisma(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const sql = createReservationSql(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const redis = createRedis(config.REDIS_URL);
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
  // Start even if Redis is late: reservations answer 503 LOCK_UNAVAILABLE until it is back.
  await redisReady(redis, 5_000).catch((err: Error) => logger.warn({ err: err.message }, 'redis not ready yet'));

  const store = new ReservationStore(sql);
  const locks = new StockLocks({
    redis,
    namespace: config.STOCK_LOCK_NAMESPACE,
    ttlMs: config.STOCK_LOCK_TTL_MS,
    acquireTimeoutMs: config.STOCK_LOCK_WAIT_MS,
  });
  const engine = new ReservationEngine({
    store,
    locks,
    logger: logger.child({ component: 'reservations' }),
    defaultTtlSeconds: config.RESERVATION_TTL_SECONDS,
    maxBatch: config.RESERVE_MAX_BATCH,
    maxConcurrentBatches: config.RESERVE_CONCURRENT_BATCHES,
    minParallelBatch: config.RESERVE_MIN_PARALLEL_BATCH,
    leaseMaxMs: config.RESERVE_LEASE_MS,
    clock,
  });
  // The checkout's catalogue reads (GetProducts, CreateSnapshots) run on the hot path's runner, not Prisma.
  const useCases = catalogueUseCases(new CatalogueStore(prisma, sql), clock);

  const parked = createParkedMessages(sql, logger);
  // Without Kafka (KAFKA_ENABLED=false: tools that only need HTTP/gRPC) no bus, relay or consumer.
  const messaging = config.KAFKA_ENABLED ? createServiceMessaging({ service: 'inventory', config, logger, parked, outbox: {} }) : undefined;

  return {
    config,
    logger,
    sql,
    store,
    engine,
    reservations: reservationUseCases(store),
    useCases,
    bus: messaging?.bus,
    relay: messaging?.relay,
    parked,
    async close() {
      // Reservation batches the drained requests queued write through the outbox: before its last flush.
      await engine.drain();
      await messaging?.close();
      await prisma.$disconnect();
      await sql.close();
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}
