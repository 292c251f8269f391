import { Type, type Static } from '@sinclair/typebox';
import { BaseEnv, ConfigError, loadConfig as loadEnv } from '@sudamall/shared';
import { paymentWindowProblems } from './domain/payment-deadline';

export const OrderEnv = Type.Object({
  ...BaseEnv.properties,
  HTTP_PORT: Type.Integer({ default: 3003, minimum: 0, maximum: 65535 }),
  GRPC_PORT: Type.Integer({ default: 50053, minimum: 0, maximum: 65535 }),
  INVENTORY_GRPC_URL: Type.String({ default: '127.0.0.1:50051' }),
  PAYMENT_GRPC_URL: Type.String({ default: '127.0.0.1:50054' }),
  /** Cart's gRPC address: POST orders/create/ without items checks the buyer's cart out there. */
  CART_GRPC_URL: Type.String({ default: '127.0.0.1:50052' }),
  /** Deadline of that call; it includes cart's own wait for the reservation (its CHECKOUT_WAIT_MS). */
  CART_CHECKOUT_TIMEOUT_MS: Type.Integer({ default: 20000, minimum: 100, maximum: 120000 }),
  /** How long a buyer has to pay once stock is reserved. */
  PAYMENT_WINDOW_SECONDS: Type.Integer({ default: 900, minimum: 1 }),
  /** How long after a store's delivery its items may be returned. */
  RETURN_WINDOW_DAYS: Type.Integer({ default: 14, minimum: 0, maximum: 3650 }),
  /**
   * Inventory's reservation lifetime (its RESERVATION_TTL_SECONDS; keep the two equal): the window
   * plus the margin must fit inside it, checked at start-up. The saga also caps each deadline by
   * the reservation's own `expires_at`, so a lagging consumer cannot outlive it either.
   */
  RESERVATION_TTL_SECONDS: Type.Integer({ default: 1200, minimum: 1 }),
  /** How long before the reservation lapses the payment window closes at the latest. */
  RESERVATION_EXPIRY_MARGIN_SECONDS: Type.Integer({ default: 60, minimum: 0 }),
  /** How often the saga's timers (expiry, re-sends, stuck flags) run. */
  SAGA_SWEEP_INTERVAL_MS: Type.Integer({ default: 1000, minimum: 10 }),
  SAGA_RETRY_BASE_MS: Type.Integer({ default: 2000, minimum: 10 }),
  SAGA_RETRY_MAX_MS: Type.Integer({ default: 60000, minimum: 10 }),
  /** A step with no progress for this long is flagged stuck. */
  SAGA_STEP_TIMEOUT_SECONDS: Type.Integer({ default: 120, minimum: 1 }),
  /** More re-sends than this and the saga is flagged stuck. */
  SAGA_MAX_ATTEMPTS: Type.Integer({ default: 10, minimum: 1 }),
  /** PlaceOrder's wait for the reservation outcome when the caller gives none (REST create). */
  PLACE_ORDER_WAIT_MS: Type.Integer({ default: 5000, minimum: 0, maximum: 60000 }),
  /** Kafka consumer group of the saga's reply consumer. */
  SAGA_CONSUMER_GROUP: Type.String({ default: 'order-saga' }),
  OUTBOX_POLL_MS: Type.Integer({ default: 1000, minimum: 10 }),
  /**
   * Test mode: create accepts `payment_window_seconds` (a shorter window for one order, so the
   * demo shows an expiry without shortening everyone's). Default on outside production; refused
   * with NODE_ENV=production.
   */
  ORDER_TEST_MODE: Type.Optional(Type.Boolean()),
  /** Link to a trace in the tracing UI for the saga dashboard, with `{trace_id}` in it; unset: no links. */
  TRACE_URL_TEMPLATE: Type.Optional(Type.String()),
});
export type OrderConfig = Static<typeof OrderEnv>;

/** The order service's config, read once, checked, frozen; a ConfigError names every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<OrderConfig> {
  const config = loadEnv(OrderEnv, env);
  const problems = paymentWindowProblems({
    windowSeconds: config.PAYMENT_WINDOW_SECONDS,
    marginSeconds: config.RESERVATION_EXPIRY_MARGIN_SECONDS,
    reservationTtlSeconds: config.RESERVATION_TTL_SECONDS,
  });
  if (config.NODE_ENV === 'production' && config.ORDER_TEST_MODE) {
    problems.push("ORDER_TEST_MODE must be off in production (it lets a buyer shorten an order's payment window)");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...config, ORDER_TEST_MODE: config.ORDER_TEST_MODE ?? config.NODE_ENV !== 'production' };
}
