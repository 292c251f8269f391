import { createLogger } from '../../src/logging';
import { parseBrokers } from '../../src/config';

// Servers as in docs/architecture.md, overridable for other machines.
export const KAFKA_BROKERS = parseBrokers(process.env.KAFKA_BROKERS ?? '127.0.0.1:9092');
/** Scratch schemas live in inventory_test; each test file makes its own and drops it. */
export const TEST_DATABASE_URL = process.env.SHARED_TEST_DATABASE_URL ?? 'postgresql://sudamall:sudamall@127.0.0.1:5432/inventory_test';

export const testLogger = createLogger({ name: 'shared-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
