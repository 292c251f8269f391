// Helpers for the services' test suites (`@sudamall/shared/testing`); not for production code.
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
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

async function onServer(serverUrl: string, database: string, sql: string): Promise<void> {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  url: string;
  /** Drops the database, closing whatever is still connected to it. */
  drop(): Promise<void>;
}

/**
 * A new database on the PostgreSQL server of `serverUrl` (any database URL of that server), with a
 * service's committed migrations (`<migrationsDir>/<timestamp>_<name>/migration.sql`) applied in
 * order as plain SQL: no Prisma CLI, so it is fast. For a suite that must not share a database,
 * e.g. one running an outbox relay (a relay publishes every unpublished row of its database).
 */
export async function createMigratedDatabase(serverUrl: string, name: string, migrationsDir: string): Promise<TestDatabase> {
  await onServer(serverUrl, 'postgres', `CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const drop = () => onServer(serverUrl, 'postgres', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  try {
    for (const m of readdirSync(migrationsDir)
      .filter((d) => /^\d/.test(d))
      .sort()) {
      await onServer(url.toString(), name, readFileSync(join(migrationsDir, m, 'migration.sql'), 'utf8'));
    }
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
  return { url: url.toString(), drop };
}

export { connectLive, type LiveTestClient, type LiveConnectOptions } from './live-testing';
