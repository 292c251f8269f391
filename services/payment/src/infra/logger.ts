import { createLogger, type Logger } from '@sudamall/shared';
import { CARD_REDACT_PATHS } from '../domain/card';

/** The service logger: shared format, plus card numbers and CVCs censored wherever they appear. */
export function createPaymentLogger(level: string): Logger {
  return createLogger({ name: 'payment', level }).child({}, { redact: { paths: CARD_REDACT_PATHS, censor: '[REDACTED]' } });
}
