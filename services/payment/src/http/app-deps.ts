import type { Logger } from 'pino';
import type { LiveUpdatesPluginOptions, ParkedMessages, VerifierOptions } from '@sudamall/shared';
import type { PaymentConfig } from '../config';
import type { PaymentUseCases } from '../container';

export interface HttpDeps {
  useCases: PaymentUseCases;
  logger: Logger;
  auth: VerifierOptions;
  settings: {
    testMode: boolean;
    /** NODE_ENV=production: the simulated webhook is not served even when test mode is allowed. */
    production: boolean;
    currency: string;
    paymentWindowMinutes: number;
    stripePublishableKey: string;
    stripeWebhookSecret: string;
    stripeWebhookToleranceSeconds: number;
    paypalClientId: string;
  };
  ready: () => boolean | Promise<boolean>;
  /** /ws/payments/{payment_id}/ (src/live); left out by tests that do not need it. */
  live?: LiveUpdatesPluginOptions;
  /** The commands consumer's parked messages (admin endpoints); tests may leave them out. */
  parked?: ParkedMessages;
}

/** The settings the routes read, from the service's config (the service declaration and the tests' harness). */
export function httpSettingsFrom(config: PaymentConfig): HttpDeps['settings'] {
  return {
    testMode: config.testMode,
    production: config.NODE_ENV === 'production',
    currency: config.PAYMENT_CURRENCY,
    paymentWindowMinutes: config.PAYMENT_WINDOW_MINUTES,
    stripePublishableKey: config.STRIPE_PUBLISHABLE_KEY,
    stripeWebhookSecret: config.stripeWebhookSecret,
    stripeWebhookToleranceSeconds: config.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
    paypalClientId: config.PAYPAL_CLIENT_ID,
  };
}
