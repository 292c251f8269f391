// Helpers for the services' test suites (`@sudamall/shared/testing`); not for production code.
import { randomBytes, randomUUID } from 'node:crypto';
import { signToken, type TokenClaims } from './auth';
import { ALL_TOPICS, topicName } from './messaging/contracts';

/** The JWT secret test setups put in JWT_SECRET (≥ 16 characters, like the real one must be). */
export const TEST_JWT_SECRET = 'test-secret-change-me-0123456789';

/** A valid one-hour HS256 token for the claims. */
export function testToken(
  claims: TokenClaims,
  secret: string = process.env.JWT_SECRET ?? TEST_JWT_SECRET,
  opts: { expiresIn?: number | string; issuer?: string; audience?: string } = {},
): string {
  const issuer = opts.issuer ?? process.env.JWT_ISSUER;
  const audience = opts.audience ?? process.env.JWT_AUDIENCE;
  return signToken(claims, {
    secret,
    expiresIn: opts.expiresIn ?? '1h',
    ...(issuer ? { issuer } : {}),
    ...(audience ? { audience } : {}),
  });
}

/** `Authorization` header value for the claims. */
export function bearer(claims: TokenClaims, secret?: string): string {
  return `Bearer ${testToken(claims, secret)}`;
}

export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Retries `fn` until it stops throwing (assertions inside it) and returns its value; after
 * the timeout, rethrows the last failure so the test shows what was still wrong.
 */
export async function eventually<T>(fn: () => T | Promise<T>, opts: EventuallyOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 15000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** A readable unique id: `uniqueId('sku')` → `sku-5f0c2a9e1b`. */
export function uniqueId(prefix = 'id'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** A fresh UUID (ids in the contracts are UUIDs). */
export function uniqueUuid(): string {
  return randomUUID();
}

/** A topic prefix unique to one test file: `t-1a2b3c4d.`. */
export function testTopicPrefix(): string {
  return `t-${randomBytes(4).toString('hex')}.`;
}

/** Creates every contract topic under the prefix (3 partitions, like the platform's). */
export async function createTestTopics(
  bus: { ensureTopics(topics: string[], partitions?: number): Promise<void> },
  prefix: string,
  partitions = 3,
): Promise<string[]> {
  const topics = ALL_TOPICS.map((t) => topicName(prefix, t));
  await bus.ensureTopics(topics, partitions);
  return topics;
}

export { connectLive, type LiveTestClient, type LiveConnectOptions } from './live-testing';
