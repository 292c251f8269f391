import type { ClientConfig } from 'pg';

/** Server settings a pool's connections start with (`-c name=value` at connect, no round trip). */
export type ServerSettings = Readonly<Record<string, string | number>>;

// PostgreSQL's `options` takes space-separated `-c name=value`; a space or backslash in a value
// is escaped with a backslash.
const setting = (name: string, value: string | number) => `-c ${name}=${String(value).replace(/([\\ ])/g, '\\$1')}`;

/**
 * A DATABASE_URL as node-postgres's config. Prisma's `?schema=name` (the tests' per-file
 * schemas use it), which node-postgres does not know, becomes the connections' search_path, as
 * Prisma honours it; `settings` are added as server settings (statement_timeout, plan_cache_mode).
 */
export function pgConfigFromUrl(databaseUrl: string, settings: ServerSettings = {}): ClientConfig {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema');
  url.searchParams.delete('schema');
  const options = Object.entries(settings).map(([name, value]) => setting(name, value));
  if (schema) options.push(setting('search_path', `"${schema.replace(/"/g, '""')}"`));
  const config: ClientConfig = { connectionString: url.toString() };
  if (options.length) config.options = options.join(' ');
  return config;
}
