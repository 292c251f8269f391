import type { Logger } from 'pino';
import type { UseCaseDeps } from '../app/deps';

export interface HttpDeps {
  useCases: UseCaseDeps;
  logger: Logger;
  auth: { secret: string; issuer?: string; audience?: string };
  settings: {
    testMode: boolean;
    currency: string;
    paymentWindowMinutes: number;
    stripePublishableKey: string;
    stripeWebhookSecret: string;
    stripeWebhookToleranceSeconds: number;
    paypalClientId: string;
  };
  ready: () => boolean | Promise<boolean>;
}
