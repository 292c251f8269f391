// Where the integration tests find the real servers (defaults: docs/architecture.md).
export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://sudamall:sudamall@127.0.0.1:5432/inventory_test';
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
export const TEST_JWT_SECRET = process.env.TEST_JWT_SECRET ?? 'test-secret-at-least-16-chars';
