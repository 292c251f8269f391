import { Type, type Static } from '@sinclair/typebox';
import { BaseEnv, ConfigError, loadConfig as loadEnv } from '@sudamall/shared';

export const PaymentEnv = Type.Object({
  ...BaseEnv.properties,
  HTTP_PORT: Type.Integer({ default: 3004, minimum: 0, maximum: 65535 }),
  GRPC_PORT: Type.Integer({ default: 50054, minimum: 0, maximum: 65535 }),
  ORDER_GRPC_URL: Type.String({ default: '127.0.0.1:50053' }),
  /** Test-mode endpoints (/payments/test/...) and test gateways. Default: on outside production. */
  PAYMENT_TEST_MODE: Type.Optional(Type.Boolean()),
  /** Test mode with NODE_ENV=production refuses to start unless this is true (and then warns at start). */
  PAYMENT_TEST_MODE_IN_PRODUCTION: Type.Boolean({ default: false }),
  PAYMENT_CURRENCY: Type.String({ default: 'USD', pattern: '^[A-Z]{3}$' }),
  /** Shown by /payments/config/; the order service owns the real deadline. */
  PAYMENT_WINDOW_MINUTES: Type.Integer({ default: 15, minimum: 1 }),
  /**
   * A payment left `processing` this long (crash, gateway outage) is looked up at its gateway and
   * settled or resumed. Must outlast the longest gateway call (see gatewayCallWorstCaseMs); unset:
   * that worst case + 30 s (90 s with the Stripe defaults).
   */
  PAYMENT_STALE_PROCESSING_SECONDS: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Pending refunds older than this are retried at the gateway (same idempotency key). */
  PAYMENT_REFUND_RETRY_SECONDS: Type.Integer({ default: 30, minimum: 1 }),
  STRIPE_SECRET_KEY: Type.String({ default: 'sk_test_sudamall_local' }),
  STRIPE_PUBLISHABLE_KEY: Type.String({ default: 'pk_test_sudamall_local' }),
  STRIPE_WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 8 })),
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: Type.Integer({ default: 300, minimum: 1 }),
  /** Unset: api.stripe.com. Set to a local fake (localstripe, stripe-mock) for development and tests. */
  STRIPE_API_HOST: Type.Optional(Type.String()),
  STRIPE_API_PORT: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  STRIPE_API_PROTOCOL: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('https')])),
  /** One Stripe request's timeout, and how often the SDK retries it (same idempotency key). */
  STRIPE_TIMEOUT_MS: Type.Integer({ default: 20_000, minimum: 1 }),
  STRIPE_MAX_NETWORK_RETRIES: Type.Integer({ default: 2, minimum: 0, maximum: 10 }),
  /** automatic_payment_methods without redirects on PaymentIntents (real Stripe); off for localstripe. */
  STRIPE_AUTOMATIC_PAYMENT_METHODS: Type.Boolean({ default: true }),
  PAYPAL_BASE_URL: Type.String({ default: 'https://api-m.sandbox.paypal.com' }),
  PAYPAL_CLIENT_ID: Type.String({ default: 'sudamall-sandbox-client' }),
  PAYPAL_CLIENT_SECRET: Type.String({ default: 'sudamall-sandbox-secret' }),
  /** One PayPal request's timeout (a charge is at most two: token, then the call). */
  PAYPAL_TIMEOUT_MS: Type.Integer({ default: 20_000, minimum: 1 }),
  /** Test mode only: the test gateway answers charges, refunds and voids this late (slow-gateway drills). */
  PAYMENT_TEST_GATEWAY_DELAY_MS: Type.Integer({ default: 0, minimum: 0, maximum: 300_000 }),
});
export type PaymentEnv = Static<typeof PaymentEnv>;

export interface PaymentConfig extends PaymentEnv {
  testMode: boolean;
  stripeWebhookSecret: string;
  /** The longest one charge call to any gateway can last before its client gives up. */
  gatewayCallWorstCaseMs: number;
  /** PAYMENT_STALE_PROCESSING_SECONDS, or derived from gatewayCallWorstCaseMs. */
  staleProcessingSeconds: number;
}

/** Margin of the derived stale window over the longest gateway call. */
export const STALE_WINDOW_MARGIN_SECONDS = 30;

/**
 * How long a charge call can last: Stripe's SDK tries timeout × (retries + 1); PayPal's adapter
 * fetches a token and then calls, each with its timeout. A payment is stale only after this,
 * so the recovery sweep never takes over an attempt whose call is still running.
 */
export function gatewayCallWorstCaseMs(env: Pick<PaymentEnv, 'STRIPE_TIMEOUT_MS' | 'STRIPE_MAX_NETWORK_RETRIES' | 'PAYPAL_TIMEOUT_MS'>): number {
  return Math.max(env.STRIPE_TIMEOUT_MS * (env.STRIPE_MAX_NETWORK_RETRIES + 1), env.PAYPAL_TIMEOUT_MS * 2);
}

/** One validated, frozen configuration (fails fast, naming every bad variable). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): PaymentConfig {
  const raw = loadEnv(PaymentEnv, env);
  const production = raw.NODE_ENV === 'production';
  if (production && !raw.STRIPE_WEBHOOK_SECRET) {
    throw new Error('invalid environment: STRIPE_WEBHOOK_SECRET is required in production');
  }
  const testMode = raw.PAYMENT_TEST_MODE ?? !production;
  // Test mode offers a gateway that "charges" a well-known card number without taking any money.
  if (raw.PAYMENT_TEST_GATEWAY_DELAY_MS > 0 && !testMode) {
    throw new ConfigError(['PAYMENT_TEST_GATEWAY_DELAY_MS slows the test gateway, which only exists in test mode (PAYMENT_TEST_MODE)']);
  }
  if (production && testMode && !raw.PAYMENT_TEST_MODE_IN_PRODUCTION) {
    throw new ConfigError([
      'PAYMENT_TEST_MODE must be off in production (the test gateway approves a public card number); set PAYMENT_TEST_MODE_IN_PRODUCTION=true to run it anyway',
    ]);
  }
  const worstCaseMs = gatewayCallWorstCaseMs(raw);
  const staleProcessingSeconds = raw.PAYMENT_STALE_PROCESSING_SECONDS ?? Math.ceil(worstCaseMs / 1000) + STALE_WINDOW_MARGIN_SECONDS;
  if (staleProcessingSeconds * 1000 <= worstCaseMs) {
    throw new ConfigError([
      `PAYMENT_STALE_PROCESSING_SECONDS (${staleProcessingSeconds}) must be longer than the longest gateway call ` +
        `(${worstCaseMs} ms: STRIPE_TIMEOUT_MS × (STRIPE_MAX_NETWORK_RETRIES + 1), PAYPAL_TIMEOUT_MS × 2), ` +
        'or the recovery sweep would take over a charge still in flight',
    ]);
  }
  return Object.freeze({
    ...raw,
    testMode,
    stripeWebhookSecret: raw.STRIPE_WEBHOOK_SECRET ?? 'whsec_sudamall_local_development',
    gatewayCallWorstCaseMs: worstCaseMs,
    staleProcessingSeconds,
  });
}

/**
 * What an operator must see at start (the kernel logs each at warn level): today, test mode
 * explicitly allowed in production.
 */
export function startupWarnings(config: Pick<PaymentConfig, 'NODE_ENV' | 'testMode'>): string[] {
  if (config.NODE_ENV === 'production' && config.testMode) {
    return ['PAYMENT TEST MODE IS ON IN PRODUCTION (PAYMENT_TEST_MODE_IN_PRODUCTION=true): the test gateway accepts test card numbers and charges nothing'];
  }
  return [];
}
