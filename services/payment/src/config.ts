import { Type, type Static } from '@sinclair/typebox';
import { BaseEnv, loadConfig } from '@sudamall/shared';

export const PaymentEnv = Type.Object({
  ...BaseEnv.properties,
  HTTP_PORT: Type.Integer({ default: 3004, minimum: 0, maximum: 65535 }),
  GRPC_PORT: Type.Integer({ default: 50054, minimum: 0, maximum: 65535 }),
  ORDER_GRPC_URL: Type.String({ default: '127.0.0.1:50053' }),
  /** Test-mode endpoints (/payments/test/...) and test gateways. Default: on outside production. */
  PAYMENT_TEST_MODE: Type.Optional(Type.Boolean()),
  PAYMENT_CURRENCY: Type.String({ default: 'USD', pattern: '^[A-Z]{3}$' }),
  /** Shown by /payments/config/; the order service owns the real deadline. */
  PAYMENT_WINDOW_MINUTES: Type.Integer({ default: 15, minimum: 1 }),
  /** A payment left `processing` this long (crash, gateway outage) may be resumed by the next process call. */
  PAYMENT_STALE_PROCESSING_SECONDS: Type.Integer({ default: 60, minimum: 1 }),
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
  /** automatic_payment_methods without redirects on PaymentIntents (real Stripe); off for localstripe. */
  STRIPE_AUTOMATIC_PAYMENT_METHODS: Type.Boolean({ default: true }),
  PAYPAL_BASE_URL: Type.String({ default: 'https://api-m.sandbox.paypal.com' }),
  PAYPAL_CLIENT_ID: Type.String({ default: 'sudamall-sandbox-client' }),
  PAYPAL_CLIENT_SECRET: Type.String({ default: 'sudamall-sandbox-secret' }),
});
export type PaymentEnv = Static<typeof PaymentEnv>;

export interface PaymentConfig extends PaymentEnv {
  testMode: boolean;
  stripeWebhookSecret: string;
}

/** One validated, frozen configuration (fails fast, naming every bad variable). */
export function readConfig(env: NodeJS.ProcessEnv = process.env): PaymentConfig {
  const raw = loadConfig(PaymentEnv, env);
  const production = raw.NODE_ENV === 'production';
  if (production && !raw.STRIPE_WEBHOOK_SECRET) {
    throw new Error('invalid environment: STRIPE_WEBHOOK_SECRET is required in production');
  }
  return Object.freeze({
    ...raw,
    testMode: raw.PAYMENT_TEST_MODE ?? !production,
    stripeWebhookSecret: raw.STRIPE_WEBHOOK_SECRET ?? 'whsec_sudamall_local_development',
  });
}
