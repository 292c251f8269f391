// Wires the infrastructure into the use cases, once, for every transport (REST, gRPC, Kafka).
import { KafkaBus, OutboxRelay, parseBrokers, type Logger } from '@sudamall/shared';
import { kafkaRetryPolicy, ParkedMessages, SqlParkStore } from '@sudamall/shared';
import type { Pool } from 'pg';
import { AdjustStock, SetStock } from './app/change-stock';
import { RemoveSize, RenameSize } from './app/change-size';
import { CheckAvailability } from './app/check-availability';
import { CreateProduct } from './app/create-product';
import { DeleteProduct } from './app/delete-product';
import { GetProduct } from './app/get-product';
import { GetProductHistory } from './app/get-product-history';
import { GetProducts } from './app/get-products';
import { ListProducts } from './app/list-products';
import { systemClock, type Clock } from './app/ports';
import { ReservationEngine } from './app/reservation-engine';
import { CreateSnapshots, GetSnapshot } from './app/snapshots';
import { UpdateProduct } from './app/update-product';
import type { InventoryConfig } from './config';
import type { PrismaClient } from './generated/prisma/client';
import { CatalogueStore } from './infra/catalogue-store';
import { createPrisma } from './infra/prisma';
import { createRedis, redisReady } from './infra/redis';
import { createReservationPool, ReservationStore } from './infra/reservation-store';
import { StockLocks } from './infra/stock-locks';
import type { Redis } from 'ioredis';

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

export interface Container {
  config: InventoryConfig;
  logger: Logger;
  prisma: PrismaClient;
  /** The hot path's node-postgres pool. */
  pool: Pool;
  redis: Redis;
  store: ReservationStore;
  engine: ReservationEngine;
  useCases: CatalogueUseCases;
  bus?: KafkaBus;
  relay?: OutboxRelay;
  /** Messages the commands consumer gave up on (its admin endpoints, the saga dashboard). */
  parked: ParkedMessages;
  close(): Promise<void>;
}

export async function createContainer(config: InventoryConfig, logger: Logger): Promise<Container> {
  const prisma = createPrisma(config.DATABASE_URL);
  const pool = createReservationPool(config.DATABASE_URL, config.DB_POOL_SIZE);
  pool.on('error', (err) => logger.warn({ err }, 'idle database client error'));
  const redis = createRedis(config.REDIS_URL);
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
  // Start even if Redis is late: reservations answer 503 LOCK_UNAVAILABLE until it is back.
  await redisReady(redis, 5_000).catch((err) => logger.warn({ err: err.message }, 'redis not ready yet'));

  const store = new ReservationStore(pool);
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
  });
  const useCases = catalogueUseCases(new CatalogueStore(prisma));

  const parked = new ParkedMessages(new SqlParkStore(async (sql, values) => (await pool.query(sql, values)).rows), { logger });
  let bus: KafkaBus | undefined;
  let relay: OutboxRelay | undefined;
  if (config.KAFKA_ENABLED) {
    bus = new KafkaBus({
      brokers: parseBrokers(config.KAFKA_BROKERS),
      clientId: config.KAFKA_CLIENT_ID ?? 'inventory',
      logger,
      parked,
      retry: kafkaRetryPolicy(config),
    });
    relay = new OutboxRelay({ databaseUrl: config.DATABASE_URL, bus, logger, topicPrefix: config.KAFKA_TOPIC_PREFIX });
  }

  return {
    config,
    logger,
    prisma,
    pool,
    redis,
    store,
    engine,
    useCases,
    bus,
    relay,
    parked,
    async close() {
      await engine.drain();
      await relay?.stop().catch((err) => logger.warn({ err }, 'outbox relay stop failed'));
      await bus?.disconnect().catch((err) => logger.warn({ err }, 'kafka disconnect failed'));
      await prisma.$disconnect();
      await pool.end();
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}
