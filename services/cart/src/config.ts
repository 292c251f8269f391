import { Type, type Static } from '@sinclair/typebox';
import { BaseEnv, loadConfig as loadEnv } from '@sudamall/shared';

export const CartEnv = Type.Object({
  ...BaseEnv.properties,
  HTTP_PORT: Type.Integer({ default: 3002, minimum: 0, maximum: 65535 }),
  GRPC_PORT: Type.Integer({ default: 50052, minimum: 0, maximum: 65535 }),
  INVENTORY_GRPC_URL: Type.String({ default: '127.0.0.1:50051', minLength: 1 }),
  ORDER_GRPC_URL: Type.String({ default: '127.0.0.1:50053', minLength: 1 }),
  /** Deadline of each call to inventory. */
  INVENTORY_TIMEOUT_MS: Type.Integer({ default: 3000, minimum: 1 }),
  /** Deadline of PlaceOrder beyond CHECKOUT_WAIT_MS. */
  ORDER_TIMEOUT_MS: Type.Integer({ default: 5000, minimum: 1 }),
  /** How long PlaceOrder waits for the stock reservation before answering (status pending after it);
   * generous because the reservation is a Kafka round trip that a busy machine slows down. */
  CHECKOUT_WAIT_MS: Type.Integer({ default: 10000, minimum: 0 }),
  /** Off for the benchmark, which runs no Kafka consumers. */
  CONSUMERS_ENABLED: Type.Boolean({ default: true }),
});
export type CartConfig = Static<typeof CartEnv>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): CartConfig {
  return loadEnv(CartEnv, env);
}
