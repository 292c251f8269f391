import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import { Type, type Static } from '@sinclair/typebox';
import { createTokenVerifier, type VerifierOptions } from '../auth';
import { loadConfig } from '../config';

/**
 * The environment of the public API's rate limit, the same in every service. Off by default
 * (RATE_LIMIT_MAX=0) so tests and benchmarks, which hammer one service from one address, are
 * not throttled; a deployment sets it.
 */
export const RateLimitEnv = Type.Object({
  /** Requests per window and caller on every `/api/` route; 0 turns the limit off. */
  RATE_LIMIT_MAX: Type.Integer({ default: 0, minimum: 0 }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ default: 60_000, minimum: 1 }),
});
export type RateLimitEnv = Static<typeof RateLimitEnv>;

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
  /** Only paths starting with this are limited (health, metrics, WebSockets are not). Default `/api/`. */
  pathPrefix?: string;
}

/** `{ max, windowMs }` from RATE_LIMIT_MAX / RATE_LIMIT_WINDOW_MS (fails fast on bad values). */
export function rateLimitOptionsFromEnv(env: Record<string, string | undefined> = process.env): RateLimitOptions {
  const config = loadConfig(RateLimitEnv, env);
  return { max: config.RATE_LIMIT_MAX, windowMs: config.RATE_LIMIT_WINDOW_MS };
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

async function rateLimitPluginImpl(app: FastifyInstance, opts: RateLimitOptions): Promise<void> {
  const max = opts.max ?? 0;
  if (max <= 0) return;
  const verify = opts.auth ? createTokenVerifier(opts.auth) : undefined;
  const prefix = opts.pathPrefix ?? '/api/';

  const keyOf = async (request: FastifyRequest): Promise<string> => {
    const header = request.headers.authorization;
    const match = verify && typeof header === 'string' ? BEARER.exec(header) : null;
    if (match && verify) {
      try {
        return `user:${(await verify(match[1] as string)).id}`;
      } catch {
        // an invalid token is the auth hook's business (401); count it against the address
      }
    }
    return `ip:${request.ip}`;
  };

  await app.register(rateLimit, {
    global: true,
    max,
    timeWindow: opts.windowMs ?? 60_000,
    keyGenerator: keyOf,
    allowList: (request) => !request.url.startsWith(prefix),
    // Thrown into the app's error handler, which answers 429 RATE_LIMITED in the stable body;
    // the plugin has already set Retry-After (seconds) and the x-ratelimit-* headers.
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`too many requests, retry in ${context.after}`), { statusCode: context.statusCode }),
  });
}

/**
 * Per-caller rate limit on the public API (`@fastify/rate-limit`, in-process store). Register it
 * before the routes; a route overrides it with `config: { rateLimit: { max, timeWindow } }` or
 * opts out with `config: { rateLimit: false }`.
 * ```ts
 * await app.register(rateLimitPlugin, { ...rateLimitOptionsFromEnv(), auth: deps.auth });
 * ```
 */
export const rateLimitPlugin = fp(rateLimitPluginImpl, { name: 'sudamall-rate-limit', fastify: '5.x' });
