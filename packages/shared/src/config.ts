import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { trustedProxiesProblems } from './http/trusted-proxies';
import { productionSecretProblems } from './known-secrets';

/** Thrown by loadConfig; the message names every bad or missing variable at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid environment: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Variables every service reads; spread `...BaseEnv.properties` into a service's own schema. */
export const BaseEnv = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], {
    default: 'development',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  HTTP_HOST: Type.String({ default: '0.0.0.0' }),
  GRPC_HOST: Type.String({ default: '0.0.0.0' }),
  // mTLS for every gRPC server and client of the service (PEM file paths, all three or none;
  // plaintext when unset): see grpcTlsFromConfig.
  GRPC_TLS_CA: Type.Optional(Type.String()),
  GRPC_TLS_CERT: Type.Optional(Type.String()),
  GRPC_TLS_KEY: Type.Optional(Type.String()),
  DATABASE_URL: Type.String({ minLength: 1 }),
  // Connections of each node-postgres pool the service opens (its hot-path createSql pool, and
  // Prisma's adapter pool where the service sizes one); pools are lazy, so this is a ceiling.
  // Inventory's old DB_POOL_SIZE is still read in its place (RENAMED_VARIABLES).
  DATABASE_POOL_SIZE: Type.Integer({ default: 10, minimum: 1 }),
  KAFKA_BROKERS: Type.String({ default: '127.0.0.1:9092', minLength: 1 }),
  KAFKA_CLIENT_ID: Type.Optional(Type.String()),
  KAFKA_TOPIC_PREFIX: Type.String({ default: '' }),
  // A consumer's failing handler: retried with backoff (base doubling up to max); after
  // KAFKA_MAX_ATTEMPTS failures (2 for a domain error; never for `unavailable`) the message is
  // parked in parked_messages and the partition moves on (kafkaRetryPolicy).
  KAFKA_MAX_ATTEMPTS: Type.Integer({ default: 5, minimum: 1, maximum: 1000 }),
  KAFKA_RETRY_BASE_MS: Type.Integer({ default: 200, minimum: 1 }),
  KAFKA_RETRY_MAX_MS: Type.Integer({ default: 10000, minimum: 1 }),
  // Published outbox rows are deleted by the relay once this old (kept this long to look into
  // what was sent); 0 keeps them all. Unpublished rows are never deleted.
  OUTBOX_RETENTION_HOURS: Type.Integer({ default: 24, minimum: 0 }),
  // Processed inbox rows (what makes a redelivered message a duplicate) are deleted once this old;
  // 0 keeps them all. It must outlast the consumed topics' retention (Kafka's default is 7 days):
  // the service warns at start about any topic that keeps its messages longer.
  INBOX_RETENTION_HOURS: Type.Integer({ default: 336, minimum: 0 }),
  // Tokens: RS256/ES256 from an identity provider (JWT_JWKS_URL), or HS256 with one shared
  // secret for local development; authEnvProblems says which combinations may start.
  JWT_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  JWT_JWKS_URL: Type.Optional(Type.String()),
  /** How long a fetched key set is trusted before it is fetched again (removed keys stop verifying then). */
  JWT_JWKS_CACHE_SECONDS: Type.Integer({ default: 600, minimum: 1 }),
  /** At most one JWKS fetch per this many seconds for tokens with an unknown `kid`. */
  JWT_JWKS_MIN_REFETCH_SECONDS: Type.Integer({ default: 30, minimum: 0 }),
  /** Accept HS256 (JWT_SECRET) tokens with NODE_ENV=production anyway: compose, benchmarks. */
  JWT_HS256_IN_PRODUCTION: Type.Boolean({ default: false }),
  JWT_ISSUER: Type.Optional(Type.String()),
  JWT_AUDIENCE: Type.Optional(Type.String()),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String()),
  // From SIGTERM to a forced exit(1) (handleShutdownSignals); below the pod's 30 s grace period
  // minus its 5 s preStop pause.
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 20000, minimum: 1000 }),
  // After SIGTERM the service is not ready but keeps serving this long before it drains, so a
  // request already sent (read a moment after the signal) is answered, not turned away with 503.
  SHUTDOWN_READINESS_GRACE_MS: Type.Integer({ default: 500, minimum: 0, maximum: 10_000 }),
  // The public API's rate limit (shared rateLimitPlugin, which reads these): requests per window
  // and caller on every /api/ route. Unset: on in production (DEFAULT_PRODUCTION_RATE_LIMIT_MAX),
  // off elsewhere (tests and benchmarks hammer one service from one address); 0 turns it off.
  RATE_LIMIT_MAX: Type.Optional(Type.Integer({ minimum: 0 })),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ default: 60_000, minimum: 1 }),
  // The hops whose X-Forwarded-For is believed (fastify trustProxy): the gateway's address or
  // range only, so a client reaching a service directly cannot pick the address it is counted by.
  TRUSTED_PROXIES: Type.String({ default: 'loopback', minLength: 1 }),
});
export type BaseEnv = Static<typeof BaseEnv>;

/** The consumers' retry budget (KafkaBusOptions.retry) from the KAFKA_* variables. */
export function kafkaRetryPolicy(env: Pick<BaseEnv, 'KAFKA_MAX_ATTEMPTS' | 'KAFKA_RETRY_BASE_MS' | 'KAFKA_RETRY_MAX_MS'>) {
  return { maxAttempts: env.KAFKA_MAX_ATTEMPTS, initialMs: env.KAFKA_RETRY_BASE_MS, maxMs: Math.max(env.KAFKA_RETRY_BASE_MS, env.KAFKA_RETRY_MAX_MS) };
}

/** Splits `KAFKA_BROKERS` ("a:9092,b:9092") into a list. */
export function parseBrokers(value: string): string[] {
  return value
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
}

/**
 * Old name → new name. A deployment that still sets only the old one keeps its value across the
 * upgrade; renamedVariableWarnings says so at start, so it can be renamed before the alias goes.
 */
const RENAMED_VARIABLES: Readonly<Record<string, string>> = {
  DB_POOL_SIZE: 'DATABASE_POOL_SIZE',
};

/** Empty counts as unset, as everywhere in loadConfig (a blank `FOO=` in a .env). */
function isSet(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

/** The old variable names set in `env`, each with what to do about it (the kernel logs them at warn on start). */
export function renamedVariableWarnings(env: Record<string, string | undefined> = process.env): string[] {
  return Object.entries(RENAMED_VARIABLES)
    .filter(([old]) => isSet(env[old]))
    .map(([old, current]) =>
      isSet(env[current])
        ? `${old} is ignored: ${current} is set (${old} is its old name; remove it)`
        : `${old} is deprecated: its value is used as ${current}; set ${current} instead`,
    );
}

function describe(name: string, schema: Record<string, unknown>, message: string, value: unknown): string {
  if (value === undefined) return `${name} is required`;
  const literals = Array.isArray(schema.anyOf)
    ? (schema.anyOf as Array<{ const?: string | number | boolean }>).map((s) => s.const).filter((c) => c !== undefined)
    : [];
  if (literals.length > 0) return `${name} must be one of ${literals.join(', ')}`;
  switch (schema.type) {
    case 'integer':
      return `${name} must be an integer`;
    case 'number':
      return `${name} must be a number`;
    case 'boolean':
      return `${name} must be true or false`;
    case 'string':
      if (typeof schema.minLength === 'number' && typeof value === 'string' && value.length < schema.minLength) {
        return `${name} must be at least ${schema.minLength} characters`;
      }
      break;
    default:
      break;
  }
  return `${name} ${message.replace(/^Expected /, 'must be ')}`;
}

/**
 * Reads the environment once through a TypeBox schema: strings become the declared numbers,
 * integers and booleans, defaults fill the gaps, and every problem is reported together so a
 * misconfigured deployment fails with one readable message instead of one error per restart.
 */
export function loadConfig<T extends TObject<TProperties>>(schema: T, env: Record<string, string | undefined> = process.env): Readonly<Static<T>> {
  // Only the schema's own keys, and empty strings count as unset (a blank `FOO=` in a .env).
  const picked: Record<string, unknown> = {};
  const readFrom: Record<string, string> = {}; // a value taken from a renamed variable's old name
  for (const key of Object.keys(schema.properties)) {
    const raw = env[key];
    if (raw !== undefined && raw !== '') picked[key] = raw;
    else if (raw === '' && isStringWithEmptyDefault(schema.properties[key])) picked[key] = raw;
  }
  for (const [old, current] of Object.entries(RENAMED_VARIABLES)) {
    if (current in schema.properties && !isSet(env[current]) && isSet(env[old])) {
      picked[current] = env[old];
      readFrom[current] = old;
    }
  }
  const withDefaults = Value.Default(schema, Value.Convert(schema, picked));
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(schema, withDefaults)) {
    const name = error.path.replace(/^\//, '').split('/')[0] ?? '';
    if (seen.has(name)) continue; // one message per variable: a union reports each branch
    seen.add(name);
    const propertySchema = (schema.properties[name] ?? error.schema) as unknown as Record<string, unknown>;
    // A bad value is reported under the name it was set as.
    problems.push(describe(readFrom[name] ?? (name || '(root)'), propertySchema, error.message, (withDefaults as Record<string, unknown>)[name]));
  }
  if ('JWT_SECRET' in schema.properties) problems.push(...authEnvProblems(withDefaults as Record<string, unknown>));
  if ('GRPC_TLS_CA' in schema.properties) problems.push(...grpcTlsProblems(withDefaults as Record<string, unknown>));
  if ('TRUSTED_PROXIES' in schema.properties) problems.push(...trustedProxiesProblems((withDefaults as Record<string, unknown>).TRUSTED_PROXIES));
  // Production never runs with a signing secret anyone who read the repository knows.
  if ((withDefaults as { NODE_ENV?: unknown }).NODE_ENV === 'production') problems.push(...productionSecretProblems(withDefaults as Record<string, unknown>));
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(withDefaults as Static<T>);
}

/**
 * The token settings across variables. With one HS256 secret shared by every service, each of
 * them (and whoever reads its environment) can mint an admin token: that is for local
 * development. Production verifies an identity provider's RS256/ES256 tokens against its JWKS,
 * fetched over https (a JWKS over plain http lets anyone on the path substitute keys).
 */
function authEnvProblems(env: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const production = env.NODE_ENV === 'production';
  const jwksUrl = env.JWT_JWKS_URL;
  if (typeof jwksUrl === 'string') {
    let url: URL | undefined;
    try {
      url = new URL(jwksUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) problems.push('JWT_JWKS_URL must be an http(s) URL');
    else if (production && url.protocol !== 'https:') problems.push('JWT_JWKS_URL must be https in production');
  } else if (env.JWT_SECRET === undefined) {
    problems.push("JWT_SECRET is required (or JWT_JWKS_URL, to verify an identity provider's tokens)");
  } else if (production && env.JWT_HS256_IN_PRODUCTION !== true) {
    problems.push(
      'JWT_JWKS_URL is required in production: HS256 tokens (JWT_SECRET) are for local development; set JWT_HS256_IN_PRODUCTION=true to accept them anyway',
    );
  }
  return problems;
}

/** Half an mTLS setup would silently run plaintext (or fail at the first call): all three or none. */
function grpcTlsProblems(env: Record<string, unknown>): string[] {
  const names = ['GRPC_TLS_CA', 'GRPC_TLS_CERT', 'GRPC_TLS_KEY'];
  const set = names.filter((n) => env[n] !== undefined);
  if (set.length === 0 || set.length === names.length) return [];
  return [`${names.filter((n) => !set.includes(n)).join(', ')} required with ${set.join(', ')} (gRPC mTLS needs the CA, the certificate and its key)`];
}

function isStringWithEmptyDefault(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && (schema as { default?: unknown }).default === '';
}
