// What a service's container builds for messaging, the same way in every service: the parked
// messages over its own database, the Kafka bus that parks into them with the KAFKA_* retry
// budget, and (for a service that publishes) the outbox relay; close() in the one order that
// loses nothing: the relay's last flush, then the bus.
import { kafkaRetryPolicy, parseBrokers, type BaseEnv } from '../config';
import type { SqlRunner } from '../db/sql-runner';
import type { Logger } from '../logging';
import { KafkaBus } from './kafka-bus';
import { OutboxRelay } from './outbox-relay';
import { ParkedMessages, SqlParkStore } from './parked-messages';

/** Messages the service's consumers gave up on, stored in its own parked_messages table. */
export function createParkedMessages(sql: SqlRunner, logger: Logger): ParkedMessages {
  return new ParkedMessages(new SqlParkStore((text, values) => sql.query(text, values)), { logger });
}

export type MessagingEnv = Pick<
  BaseEnv,
  | 'DATABASE_URL'
  | 'KAFKA_BROKERS'
  | 'KAFKA_CLIENT_ID'
  | 'KAFKA_TOPIC_PREFIX'
  | 'KAFKA_MAX_ATTEMPTS'
  | 'KAFKA_RETRY_BASE_MS'
  | 'KAFKA_RETRY_MAX_MS'
  | 'OUTBOX_RETENTION_HOURS'
>;

export interface ServiceMessagingOptions {
  /** The Kafka client id unless KAFKA_CLIENT_ID says otherwise. */
  service: string;
  config: MessagingEnv;
  logger: Logger;
  parked: ParkedMessages;
  /** The outbox relay (a service that publishes): its safety-net poll, default the relay's. */
  outbox?: { pollMs?: number };
}

export interface ServiceMessaging {
  bus: KafkaBus;
  relay: OutboxRelay | undefined;
  /** Stops the relay after a last flush, then disconnects the bus; failures are logged, not thrown. */
  close(): Promise<void>;
}

export function createServiceMessaging(opts: ServiceMessagingOptions & { outbox: { pollMs?: number } }): ServiceMessaging & { relay: OutboxRelay };
export function createServiceMessaging(opts: ServiceMessagingOptions): ServiceMessaging;
export function createServiceMessaging(opts: ServiceMessagingOptions): ServiceMessaging {
  const { config, logger } = opts;
  const bus = new KafkaBus({
    brokers: parseBrokers(config.KAFKA_BROKERS),
    clientId: config.KAFKA_CLIENT_ID ?? opts.service,
    logger,
    parked: opts.parked,
    retry: kafkaRetryPolicy(config),
  });
  const relay = opts.outbox
    ? new OutboxRelay({
        databaseUrl: config.DATABASE_URL,
        bus,
        logger,
        topicPrefix: config.KAFKA_TOPIC_PREFIX,
        retentionMs: config.OUTBOX_RETENTION_HOURS * 3_600_000,
        ...(opts.outbox.pollMs !== undefined ? { pollMs: opts.outbox.pollMs } : {}),
      })
    : undefined;
  return {
    bus,
    relay,
    async close() {
      await relay?.stop().catch((err: unknown) => logger.warn({ err }, 'outbox relay stop failed'));
      await bus.disconnect().catch((err: unknown) => logger.warn({ err }, 'kafka disconnect failed'));
    },
  };
}
