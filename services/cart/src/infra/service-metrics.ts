// The cart service's Prometheus gauges, computed on scrape: outbox lag and its consumers' lag.
import { registerConsumerLagMetrics, parseBrokers, registerOutboxMetrics, type Logger } from '@sudamall/shared';

export function registerCartMetrics(opts: {
  query: (sql: string) => Promise<unknown[]>;
  /** KAFKA_BROKERS (comma-separated). */
  brokers: string;
  clientId: string;
  groups: () => readonly string[];
  logger: Logger;
}): { close(): Promise<void> } {
  registerOutboxMetrics(opts.query, opts.logger);
  return registerConsumerLagMetrics({ brokers: parseBrokers(opts.brokers), clientId: opts.clientId, groups: opts.groups, logger: opts.logger });
}
