// The service's environment, read and validated once (fails fast naming every bad variable).
import { BaseEnv, loadConfig as loadEnv } from '@sudamall/shared';
import { Type, type Static } from '@sinclair/typebox';

export const InventoryEnv = Type.Object({
  ...BaseEnv.properties,
  HTTP_PORT: Type.Integer({ default: 3001, minimum: 0, maximum: 65535 }),
  GRPC_PORT: Type.Integer({ default: 50051, minimum: 0, maximum: 65535 }),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379' }),
  /** How long an unconfirmed reservation holds; longer than order's 15-minute payment window. */
  RESERVATION_TTL_SECONDS: Type.Integer({ default: 1200, minimum: 1 }),
  /** How often the sweeper releases expired reservations. */
  RESERVATION_SWEEP_MS: Type.Integer({ default: 5000, minimum: 100 }),
  STOCK_LOCK_TTL_MS: Type.Integer({ default: 5000, minimum: 10 }),
  STOCK_LOCK_WAIT_MS: Type.Integer({ default: 3000, minimum: 0 }),
  /** Prefix of the Redis lock keys (`<prefix>stock:<stock_id>`); empty in a deployment, set by tests. */
  STOCK_LOCK_NAMESPACE: Type.String({ default: '' }),
  RESERVE_MAX_BATCH: Type.Integer({ default: 256, minimum: 1 }),
  RESERVE_CONCURRENT_BATCHES: Type.Integer({ default: 4, minimum: 1 }),
  /** A second concurrent batch starts only with this many requests waiting (bigger batches win). */
  RESERVE_MIN_PARALLEL_BATCH: Type.Integer({ default: 16, minimum: 1 }),
  /** How long a hot row's Redis lock is kept across consecutive batches (0: never). */
  RESERVE_LEASE_MS: Type.Integer({ default: 0, minimum: 0 }),
  /** Consume inventory.commands (off for tools that only need HTTP/gRPC). */
  KAFKA_ENABLED: Type.Boolean({ default: true }),
});
export type InventoryConfig = Static<typeof InventoryEnv>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): InventoryConfig {
  return loadEnv(InventoryEnv, env);
}
