// Wires the infrastructure into the use cases, once, for every transport (REST, gRPC, Kafka).
import { KafkaBus, OutboxRelay, parseBrokers, type Logger } from '@sudamall/shared';
import { kafkaRetryPolicy, ParkedMessages, SqlParkStore } from '@sudamall/shared';
import type { Pool } from 'pg';
import { Catalogue } from './app/catalogue';
import { ReservationEngine } from './app/reservation-engine';
import type { InventoryConfig } from './config';
import type { PrismaClient } from './generated/prisma/client';
import { createPrisma } from './infra/prisma';
import { createRedis, redisReady } from './infra/redis';
import { createReservationPool, ReservationStore } from './infra/reservation-store';
import { StockLocks } from './infra/stock-locks';
import type { Redis } from 'ioredis';

export interface Container {
  config: InventoryConfig;
  logger: Logger;
  prisma: PrismaClient;
  /** The hot path's node-postgres pool. */
  pool: Pool;
  redis: Redis;
  store: ReservationStore;
  engine: ReservationEngine;
  catalogue: Catalogue;
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
  const catalogue = new Catalogue(prisma);

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
    catalogue,
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
