import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import { Type, type Static } from '@sinclair/typebox';
import { createTokenVerifier, type VerifierOptions } from '../auth';
import { BaseEnv, loadConfig } from '../config';
import { parseTrustedProxies } from './trusted-proxies';

/**
 * The environment of the public API's rate limit and of the client address it counts, the same
 * in every service (declared in BaseEnv, so each service's config validates it at start). On by
 * default only in production: tests and benchmarks hammer one service from one address.
 */
export const RateLimitEnv = Type.Object({
  NODE_ENV: BaseEnv.properties.NODE_ENV,
  RATE_LIMIT_MAX: BaseEnv.properties.RATE_LIMIT_MAX,
  RATE_LIMIT_WINDOW_MS: BaseEnv.properties.RATE_LIMIT_WINDOW_MS,
  TRUSTED_PROXIES: BaseEnv.properties.TRUSTED_PROXIES,
});
export type RateLimitEnv = Static<typeof RateLimitEnv>;

/** Requests per minute and caller when production sets no RATE_LIMIT_MAX: ten a second. */
export const DEFAULT_PRODUCTION_RATE_LIMIT_MAX = 600;

/**
 * Routes never limited, matched on the routed path: gateway webhooks (Stripe retries a refused
 * delivery for days; each is signed and recorded once, so a flood costs a signature check).
 */
export const RATE_LIMIT_EXEMPT_ROUTES = /^\/api\/v1\/[^/]+\/webhooks\//;

export interface RateLimitOptions {
  /** Requests per window and caller; 0 (or absent) registers nothing. */
  max?: number;
  windowMs?: number;
  /**
   * The JWT settings of the service: a request with a valid bearer token is counted against
   * its user id (verified, so nobody spends another user's budget with a forged token);
   * anything else against its IP address.
   */
  auth?: VerifierOptions;
  /**
   * Only paths starting with this are limited (health, metrics, WebSockets are not). Default `/api/`.
   * Matched on the routed path (the route's pattern, after the router decoded the URL), never on
   * the raw URL, so `/%61pi/v1/...` is limited like `/api/v1/...`.
   */
  pathPrefix?: string;
  /** Routed paths that are never limited. Default RATE_LIMIT_EXEMPT_ROUTES (webhooks). */
  exempt?: RegExp;
}

/**
 * `{ max, windowMs }` from RATE_LIMIT_MAX / RATE_LIMIT_WINDOW_MS (fails fast on bad values); with
 * no RATE_LIMIT_MAX, DEFAULT_PRODUCTION_RATE_LIMIT_MAX under NODE_ENV=production and off elsewhere.
 */
export function rateLimitOptionsFromEnv(env: Record<string, string | undefined> = process.env): RateLimitOptions {
  const config = loadConfig(RateLimitEnv, env);
  const max = config.RATE_LIMIT_MAX ?? (config.NODE_ENV === 'production' ? DEFAULT_PRODUCTION_RATE_LIMIT_MAX : 0);
  return { max, windowMs: config.RATE_LIMIT_WINDOW_MS };
}

/**
 * fastify's `trustProxy` from TRUSTED_PROXIES (default loopback: the local gateway): `request.ip`
 * is then the client address the gateway forwards in X-Forwarded-For when the connection comes
 * from a trusted hop, and the connecting address otherwise. Pass it to `Fastify({ trustProxy })`.
 */
export function trustProxyFromEnv(env: Record<string, string | undefined> = process.env): string[] {
  return parseTrustedProxies(loadConfig(RateLimitEnv, env).TRUSTED_PROXIES);
}

/**
 * The path a request is limited by: the pattern of the route it reached (decoded and matched by
 * the router), or for a request no route matched, its path decoded and with repeated slashes
 * collapsed, so no spelling of a path escapes its limit.
 */
export function routedPath(request: FastifyRequest): string {
  const routed = request.routeOptions?.url;
  if (typeof routed === 'string' && routed.length > 0) return routed;
  const raw = request.url.split('?')[0] ?? '';
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // a malformed escape: the router answers 400 BAD_URL; judge the raw path meanwhile
  }
  return decoded.replace(/\/{2,}/g, '/');
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

type StoreCallback = (err: Error | null, res: { current: number; ttl: number }) => void;

/**
 * The in-process counters, one fixed window per key. @fastify/rate-limit's own LocalStore hands
 * every caller its single mutable entry and the plugin reads it a tick later, so requests of one
 * burst all read the burst's final count (three at once on a budget of two: all three refused);
 * this one answers each increment with a snapshot. Bounded: past `maxKeys` the least recently
 * seen key is forgotten.
 */
class SnapshotStore {
  private readonly windows = new Map<string, { count: number; startMs: number }>();

  constructor(
    _options?: unknown,
    private readonly maxKeys = 50_000,
  ) {}

  incr(key: string, cb: StoreCallback, timeWindow: number): void {
    const now = Date.now();
    let w = this.windows.get(key);
    if (!w || w.startMs + timeWindow <= now) w = { count: 0, startMs: now };
    w.count += 1;
    this.windows.delete(key); // re-inserted last: Map order is the recency order
    this.windows.set(key, w);
    if (this.windows.size > this.maxKeys) this.windows.delete(this.windows.keys().next().value as string);
    cb(null, { current: w.count, ttl: w.startMs + timeWindow - now });
  }

  read(key: string, cb: StoreCallback, timeWindow: number): void {
    const now = Date.now();
    const w = this.windows.get(key);
    if (!w || w.startMs + timeWindow <= now) cb(null, { current: 0, ttl: 0 });
    else cb(null, { current: w.count, ttl: w.startMs + timeWindow - now });
  }

  /** A route with its own limit counts apart. */
  child(): SnapshotStore {
    return new SnapshotStore(undefined, this.maxKeys);
  }
}

async function rateLimitPluginImpl(app: FastifyInstance, opts: RateLimitOptions): Promise<void> {
  const max = opts.max ?? 0;
  if (max <= 0) return;
  const verify = opts.auth ? createTokenVerifier(opts.auth) : undefined;
  const prefix = opts.pathPrefix ?? '/api/';
  const exempt = opts.exempt ?? RATE_LIMIT_EXEMPT_ROUTES;

  const keyOf = async (request: FastifyRequest): Promise<string> => {
    const header = request.headers.authorization;
    const match = verify && typeof header === 'string' ? BEARER.exec(header) : null;
    if (match && verify) {
      try {
        return `user:${(await verify(match[1])).id}`;
      } catch {
        // an invalid token is the auth hook's business (401); count it against the address
      }
    }
    // With trustProxy (trustProxyFromEnv), the client address the gateway forwarded.
    return `ip:${request.ip}`;
  };

  await app.register(rateLimit, {
    global: true,
    max,
    timeWindow: opts.windowMs ?? 60_000,
    keyGenerator: keyOf,
    store: SnapshotStore as unknown as NonNullable<Parameters<typeof rateLimit>[1]>['store'],
    allowList: (request) => {
      const path = routedPath(request);
      return !path.startsWith(prefix) || exempt.test(path);
    },
    // Thrown into the app's error handler, which answers 429 RATE_LIMITED in the stable body;
    // the plugin has already set Retry-After (seconds) and the x-ratelimit-* headers.
    errorResponseBuilder: (_request, context) => Object.assign(new Error(`too many requests, retry in ${context.after}`), { statusCode: context.statusCode }),
  });
}

/**
 * Per-caller rate limit on the public API (`@fastify/rate-limit`, in-process store). Register it
 * before the routes; a route overrides it with `config: { rateLimit: { max, timeWindow } }` or
 * opts out with `config: { rateLimit: false }`.
 * ```ts
 * const app = Fastify({ trustProxy: trustProxyFromEnv() });
 * await app.register(rateLimitPlugin, { ...rateLimitOptionsFromEnv(), auth: deps.auth });
 * ```
 */
export const rateLimitPlugin = fp(rateLimitPluginImpl, { name: 'sudamall-rate-limit', fastify: '5.x' });
