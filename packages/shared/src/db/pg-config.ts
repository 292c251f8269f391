import type { ClientConfig } from 'pg';
import { prismaStatementNames } from './prepared-statements';

/** Server settings a pool's connections start with (`-c name=value` at connect, no round trip). */
export type ServerSettings = Readonly<Record<string, string | number>>;

// PostgreSQL's `options` takes space-separated `-c name=value`; a space or backslash in a value
// is escaped with a backslash.
const setting = (name: string, value: string | number) => `-c ${name}=${String(value).replace(/([\\ ])/g, '\\$1')}`;

/**
 * What every connection of the services tells PostgreSQL's planner: a page read at random costs
 * about what a sequential one does (1.1, against the default 4, which prices a spinning disk). A
 * commerce core's working set (recent orders, sagas, stock, the outboxes) lives in memory. At 4,
 * on young or small tables, the planner prices a few index probes above a scan of the whole
 * table, and a prepared statement keeps the generic plan it built then. Measured under the
 * checkout benchmark (bench/order/pg-statements.js, bench/README.md "PostgreSQL's statements"):
 * order's batch of saga replies scanned every order for each batch (806 → 198 µs per call),
 * inventory's read before a reservation batch took 834 µs (now 108); statement execution 4.5 →
 * 3.4 ms per checkout. A caller's `settings` win. Behind PgBouncer: docs/deploy.md.
 */
export const PLANNER_SETTINGS: ServerSettings = { random_page_cost: 1.1 };

/**
 * A DATABASE_URL as node-postgres's config. Prisma's `?schema=name` (the tests' per-file
 * schemas use it), which node-postgres does not know, becomes the connections' search_path, as
 * Prisma honours it; PLANNER_SETTINGS and `settings` are added as server settings
 * (statement_timeout, plan_cache_mode).
 */
export function pgConfigFromUrl(databaseUrl: string, settings: ServerSettings = {}): ClientConfig {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema');
  url.searchParams.delete('schema');
  const options = Object.entries({ ...PLANNER_SETTINGS, ...settings }).map(([name, value]) => setting(name, value));
  if (schema) options.push(setting('search_path', `"${schema.replace(/"/g, '""')}"`));
  const config: ClientConfig = { connectionString: url.toString() };
  if (options.length) config.options = options.join(' ');
  return config;
}

/**
 * The arguments of Prisma's pg adapter for a service's DATABASE_URL, as every service builds it:
 * `new PrismaPg(...prismaPgArgs(url, max))`. The pool is configured as every other pool
 * (pgConfigFromUrl), at most `max` connections; Prisma qualifies its own queries with the URL's
 * `?schema=` and names its statements (prismaStatementNames). Structural, so packages/shared
 * does not depend on the adapter.
 */
export function prismaPgArgs(
  databaseUrl: string,
  max: number,
): [pool: ClientConfig & { max: number }, options: { schema: string | undefined; statementNameGenerator: typeof prismaStatementNames }] {
  const schema = new URL(databaseUrl).searchParams.get('schema') ?? undefined;
  return [
    { ...pgConfigFromUrl(databaseUrl), max },
    { schema, statementNameGenerator: prismaStatementNames },
  ];
}
