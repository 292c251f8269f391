import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { createMigratedDatabase, type TestDatabase } from '@sudamall/shared/testing';
import { Pool } from 'pg';
import pino from 'pino';
import { ReservationEngine, type ReservationEngineOptions } from '../../src/app/reservation-engine';
import { reservationUseCases, type ReservationUseCases } from '../../src/container';
import { createReservationSql, ReservationStore } from '../../src/infra/reservation-store';
import { createRedis, redisReady } from '../../src/infra/redis';
import { StockLocks } from '../../src/infra/stock-locks';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './env';
import type { Redis } from 'ioredis';

export const silentLogger = pino({ level: 'silent' });

/** A pool on the test database, with the hot path's settings (generic plans), for the tests' own reads. */
export function testPool(max = 10, databaseUrl = TEST_DATABASE_URL): Pool {
  return new Pool({ connectionString: databaseUrl, max, options: '-c plan_cache_mode=force_generic_plan' });
}

export interface SeededProduct {
  productId: string;
  storeId: string;
  /** size ('' without sizes) → stock row id */
  stockIds: Record<string, string>;
}

/**
 * A database of the test file's own, migrated with the committed migrations, for a file that
 * runs an outbox relay: a relay publishes every unpublished row of its database under its own
 * topic prefix, so on the shared inventory_test another relay (the service process of
 * process.test.ts, the end-to-end suite's inventory) may publish this file's events elsewhere.
 */
export function createPrivateDatabase(): Promise<TestDatabase> {
  return createMigratedDatabase(TEST_DATABASE_URL, `inventory_t_${randomBytes(5).toString('hex')}`, path.join(__dirname, '..', '..', 'prisma', 'migrations'));
}

/** Inserts a product and its stock rows directly (engine tests do not go through the catalogue). */
export async function seedProduct(pool: Pool, stock: number | Record<string, number>, opts: { storeId?: string; price?: string } = {}): Promise<SeededProduct> {
  const storeId = opts.storeId ?? randomUUID();
  const hasSizes = typeof stock !== 'number';
  const sizes: Array<[string, number]> = hasSizes ? Object.entries(stock) : [['', stock]];
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO products (product_name, price, store_id, owner_id, has_sizes, updated_at)
     VALUES ($1, $2, $3, $4, $5, now()) RETURNING id`,
    [`test product ${randomUUID().slice(0, 8)}`, opts.price ?? '19.99', storeId, randomUUID(), hasSizes],
  );
  const productId = rows[0].id;
  const stockIds: Record<string, string> = {};
  for (const [size, qty] of sizes) {
    const s = await pool.query<{ id: string }>('INSERT INTO stock (product_id, size, available) VALUES ($1, $2, $3) RETURNING id', [productId, size, qty]);
    stockIds[size] = s.rows[0].id;
    await pool.query(
      `INSERT INTO stock_adjustments (stock_id, product_id, delta, available_after, reason, actor_id)
       VALUES ($1, $2, $3, $3, 'initial', 'test')`,
      [s.rows[0].id, productId, qty],
    );
  }
  return { productId, storeId, stockIds };
}

export async function stockRow(pool: Pool, stockId: string) {
  const { rows } = await pool.query<{ available: number; reserved: number; sold: number }>('SELECT available, reserved, sold FROM stock WHERE id = $1', [
    stockId,
  ]);
  return rows[0];
}

export interface EngineHarness {
  engine: ReservationEngine;
  /** The engine's store, on a runner of its own over the pool's database. */
  store: ReservationStore;
  /** Confirm, release, restock and expiry over the same store. */
  reservations: ReservationUseCases;
  redis: Redis;
  locks: StockLocks;
  close(): Promise<void>;
}

export async function startEngine(
  pool: Pool,
  opts: Partial<ReservationEngineOptions> & { redisUrl?: string; namespace?: string; lockTtlMs?: number; waitForRedis?: boolean } = {},
): Promise<EngineHarness> {
  const redis = createRedis(opts.redisUrl ?? TEST_REDIS_URL);
  if (opts.waitForRedis !== false) await redisReady(redis);
  else redis.on('error', () => undefined);
  const locks = new StockLocks({
    redis,
    namespace: opts.namespace ?? `test:${randomUUID()}:`,
    ttlMs: opts.lockTtlMs ?? 5_000,
    acquireTimeoutMs: 5_000,
  });
  const sql = createReservationSql(pool.options.connectionString ?? TEST_DATABASE_URL, pool.options.max ?? 10);
  const store = new ReservationStore(sql);
  const engine = new ReservationEngine({
    store,
    locks,
    logger: silentLogger,
    defaultTtlSeconds: 1200,
    ...opts,
  });
  return {
    engine,
    store,
    reservations: reservationUseCases(store),
    redis,
    locks,
    close: async () => {
      await engine.drain();
      await sql.close();
      if (redis.status === 'ready') await redis.quit();
      else redis.disconnect();
    },
  };
}
