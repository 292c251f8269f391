import { createPublicKey } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import type { BaseEnv } from './config';
import { DomainError, unauthenticated, unavailable } from './errors';
import type { Logger } from './logging';

export type Role = 'buyer' | 'seller' | 'admin';
export const ROLES: readonly Role[] = ['buyer', 'seller', 'admin'];

/** Who is calling, as the services see it. */
export interface AuthUser {
  id: string;
  role: Role;
  /** Present for sellers: the store they act for. */
  storeId?: string;
  /** The token's `email` claim when it has one. */
  email?: string;
}

export interface TokenClaims {
  sub: string;
  role: Role;
  store_id?: string;
  [claim: string]: unknown;
}

export interface VerifierOptions {
  /** HS256 with one shared secret: local development and tests (see BaseEnv). */
  secret?: string;
  /**
   * RS256 / ES256 tokens from an identity provider, keys from its JWKS. Pass one JwksKeySource
   * to every verifier of a process (authOptionsFromConfig does) so they share one cache.
   */
  jwks?: JwksKeySource | JwksOptions;
  issuer?: string;
  audience?: string;
}

/** Resolves to the caller, or rejects with a DomainError (`UNAUTHENTICATED`, or `JWKS_UNAVAILABLE`). */
export type TokenVerifier = (token: string) => Promise<AuthUser>;

/** Asymmetric algorithms accepted from a JWKS, each tied to one key type (no RSA key for ES256). */
const JWKS_ALGORITHMS = ['RS256', 'ES256'] as const;
type JwksAlgorithm = (typeof JWKS_ALGORITHMS)[number];

/**
 * Expiry always checked, issuer and audience when configured. HS256 tokens go to the shared
 * secret only when one is given; everything else to the JWKS, whose verifier allows RS256 and
 * ES256 only: `alg: none`, and an HS256 token "signed" with a public key (algorithm
 * confusion), are refused by construction.
 */
export function createTokenVerifier(opts: VerifierOptions): TokenVerifier {
  if (!opts.secret && !opts.jwks) throw new Error('createTokenVerifier needs a secret or a JWKS');
  const claims = {
    // fast-jwt checks iss/aud only when present: require them when configured, and always an
    // expiry, so a token that would never expire is refused.
    requiredClaims: ['exp', ...(opts.issuer ? ['iss'] : []), ...(opts.audience ? ['aud'] : [])],
    ...(opts.issuer ? { allowedIss: opts.issuer } : {}),
    ...(opts.audience ? { allowedAud: opts.audience } : {}),
  };
  const shared = opts.secret ? createVerifier({ key: opts.secret, algorithms: ['HS256'], ...claims }) : undefined;
  const source = opts.jwks instanceof JwksKeySource ? opts.jwks : opts.jwks ? new JwksKeySource(opts.jwks) : undefined;
  const remote = source
    ? createVerifier({
        key: async (decoded: { header: Record<string, unknown> }) => source.keyFor(decoded.header),
        algorithms: [...JWKS_ALGORITHMS],
        ...claims,
      })
    : undefined;
  const verified = new VerifiedTokens(VERIFIED_TOKENS_MAX);
  return async (token: string): Promise<AuthUser> => {
    const known = verified.get(token, source);
    if (known) return known;
    let payload: Record<string, unknown>;
    // The key set a JWKS token is verified against (undefined: the shared secret, or not remembered).
    let keys: number | undefined;
    let remember = true;
    try {
      if (shared !== undefined && (remote === undefined || headerAlg(token) === 'HS256')) {
        payload = shared(token) as Record<string, unknown>;
      } else {
        keys = source?.keysVersion();
        payload = (await (remote as (t: string) => Promise<unknown>)(token)) as Record<string, unknown>;
        // A set past its age, or one refreshed meanwhile: verified again next time.
        remember = keys !== undefined && source?.keysVersion() === keys;
      }
    } catch (e) {
      throw authError(e);
    }
    const user = userFromClaims(payload);
    if (remember) verified.set(token, user, payload.exp, keys);
    return user;
  };
}

/** Verified tokens a verifier remembers at most (a few MB of bearer strings). */
const VERIFIED_TOKENS_MAX = 10_000;
/** Longer strings are verified every time rather than held. */
const VERIFIED_TOKEN_MAX_LENGTH = 4096;

/**
 * Tokens already verified, by the token itself, until their own `exp`. Verifying one again
 * before then gives the same answer (the same signature under the same key, the same claims;
 * there is no revocation list), so a client sending one bearer token on every request pays
 * the signature check and the claims' JSON once instead of per request (measured on the cart
 * read: ~30 µs of ~600 µs of the service's CPU with HS256; RS256/ES256 cost more). A JWKS-verified token is
 * answered from here only while the key set it was verified against is still the current one
 * and within its max age: past it, it is verified again, so a key the issuer removed stops
 * working exactly when it did without this. Failures are never remembered. Bounded: the oldest
 * entry goes first.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, { user: AuthUser; expMs: number; keys: number | undefined }>();

  constructor(private readonly max: number) {}

  get(token: string, source: JwksKeySource | undefined): AuthUser | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    // fast-jwt's own expiry check: valid while exp (seconds) is after now.
    if (entry.expMs <= Date.now() || (entry.keys !== undefined && source?.keysVersion() !== entry.keys)) {
      this.entries.delete(token);
      return undefined;
    }
    // A copy: a caller that changes its request.user changes nobody else's.
    return { ...entry.user };
  }

  set(token: string, user: AuthUser, exp: unknown, keys: number | undefined): void {
    if (typeof exp !== 'number' || token.length > VERIFIED_TOKEN_MAX_LENGTH) return;
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(token, { user: { ...user }, expMs: exp * 1000, keys });
  }
}

function headerAlg(token: string): unknown {
  try {
    return (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { alg?: unknown }).alg;
  } catch {
    return undefined;
  }
}

/** A DomainError thrown while resolving the key travels as is (an unreachable JWKS is a 503, not a 401). */
function authError(e: unknown): DomainError {
  const original = (e as { originalError?: unknown }).originalError;
  if (original instanceof DomainError) return original;
  if (e instanceof DomainError) return e;
  return unauthenticated('UNAUTHENTICATED', 'invalid or expired token', {
    reason: (e as { code?: string }).code ?? 'invalid_token',
  });
}

export interface JwksOptions {
  url: string;
  /** A fetched key set is used this long, then fetched again. Default 600 s. */
  cacheMaxAgeMs?: number;
  /**
   * A token with an unknown `kid` (a key the issuer just rotated in) refetches the set, at most
   * once per this interval, so made-up kids cannot turn into a flood of fetches. Default 30 s.
   */
  minRefetchIntervalMs?: number;
  /**
   * When a refresh fails, the expired set keeps verifying for this long past its age (an issuer's
   * short outage does not lock every user out); after that, tokens get 503 JWKS_UNAVAILABLE.
   * Default: cacheMaxAgeMs.
   */
  staleIfErrorMs?: number;
  fetchTimeoutMs?: number;
  /** Injectable clock (ms), for tests of the cache. */
  now?: () => number;
  logger?: Logger;
}

interface JwksKey {
  kid?: string;
  alg: JwksAlgorithm;
  pem: string;
}

/**
 * The issuer's signing keys, fetched from its JWKS and cached: refreshed after `cacheMaxAgeMs`
 * (a key the issuer removed stops verifying then), refetched early for an unknown `kid`
 * (rate-limited), one fetch at a time however many requests wait for it.
 */
export class JwksKeySource {
  private keys: JwksKey[] = [];
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;
  private readonly maxAgeMs: number;
  private readonly minRefetchMs: number;
  private readonly staleIfErrorMs: number;
  private readonly now: () => number;
  /** How many times the set was requested from the issuer (metrics, tests). */
  fetches = 0;
  /** Moves on every fetched set (see keysVersion). */
  private version = 0;

  constructor(private readonly opts: JwksOptions) {
    this.maxAgeMs = opts.cacheMaxAgeMs ?? 600_000;
    this.minRefetchMs = opts.minRefetchIntervalMs ?? 30_000;
    this.staleIfErrorMs = opts.staleIfErrorMs ?? this.maxAgeMs;
    this.now = opts.now ?? Date.now;
  }

  /** The PEM public key for a token's header; rejects with a DomainError. */
  async keyFor(header: Record<string, unknown>): Promise<string> {
    const alg = header.alg;
    // Before any fetch: a token no key of ours could verify must not cost a request to the issuer.
    if (typeof alg !== 'string' || !(JWKS_ALGORITHMS as readonly string[]).includes(alg)) {
      throw unauthenticated('UNAUTHENTICATED', 'invalid or expired token', { reason: 'unsupported_algorithm' });
    }
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    if (this.now() - this.fetchedAt >= this.maxAgeMs) await this.refresh(true);
    let key = this.find(kid);
    if (!key && this.now() - this.attemptedAt >= this.minRefetchMs) {
      await this.refresh(false);
      key = this.find(kid);
    }
    if (!key) throw unauthenticated('UNAUTHENTICATED', 'token signed with an unknown key', { reason: 'unknown_key' });
    if (key.alg !== alg) throw unauthenticated('UNAUTHENTICATED', 'invalid or expired token', { reason: 'algorithm_mismatch' });
    return key.pem;
  }

  /**
   * Which key set is in use, while it is within its max age (undefined past it): a verifier may
   * answer a token it verified again without asking for its key only while this has not moved.
   */
  keysVersion(): number | undefined {
    return this.now() - this.fetchedAt < this.maxAgeMs ? this.version : undefined;
  }

  private find(kid: string | undefined): JwksKey | undefined {
    if (kid !== undefined) return this.keys.find((k) => k.kid === kid);
    // Without a kid only an unambiguous set will do.
    return this.keys.length === 1 ? this.keys[0] : undefined;
  }

  /** `expired`: the cached set is past its age, so a failure may leave nothing usable. */
  private async refresh(expired: boolean): Promise<void> {
    if (!this.inflight && this.now() - this.attemptedAt >= this.minRefetchMs) {
      this.attemptedAt = this.now();
      this.fetches += 1;
      this.inflight = this.fetchKeys()
        .then((keys) => {
          this.keys = keys;
          this.fetchedAt = this.now();
          this.version += 1;
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    try {
      await this.inflight;
    } catch (err) {
      this.opts.logger?.warn({ err, url: this.opts.url }, 'JWKS fetch failed');
    }
    if (expired && this.now() - this.fetchedAt >= this.maxAgeMs + this.staleIfErrorMs) {
      throw unavailable('JWKS_UNAVAILABLE', "the identity provider's keys cannot be fetched; try again shortly");
    }
  }

  private async fetchKeys(): Promise<JwksKey[]> {
    const response = await fetch(this.opts.url, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(this.opts.fetchTimeoutMs ?? 5000),
    });
    if (!response.ok) throw new Error(`JWKS answered HTTP ${response.status}`);
    const body = (await response.json()) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error('JWKS document has no keys array');
    const keys: JwksKey[] = [];
    for (const jwk of body.keys) {
      const key = parseJwk(jwk);
      if (key) keys.push(key);
      else this.opts.logger?.warn({ kid: (jwk as { kid?: unknown })?.kid, url: this.opts.url }, 'JWKS key skipped: not a usable RS256/ES256 signing key');
    }
    return keys;
  }
}

/** A public signing key for RS256 (RSA ≥ 2048 bits) or ES256 (P-256); anything else is skipped. */
function parseJwk(jwk: unknown): JwksKey | undefined {
  if (typeof jwk !== 'object' || jwk === null) return undefined;
  const j = jwk as Record<string, unknown>;
  if (j.use !== undefined && j.use !== 'sig') return undefined;
  if (Array.isArray(j.key_ops) && !j.key_ops.includes('verify')) return undefined;
  const kid = typeof j.kid === 'string' ? j.kid : undefined;
  try {
    if (j.kty === 'RSA' && (j.alg === undefined || j.alg === 'RS256')) {
      const key = createPublicKey({ key: { kty: 'RSA', n: j.n as string, e: j.e as string }, format: 'jwk' });
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return undefined;
      return { kid, alg: 'RS256', pem: key.export({ type: 'spki', format: 'pem' }).toString() };
    }
    if (j.kty === 'EC' && j.crv === 'P-256' && (j.alg === undefined || j.alg === 'ES256')) {
      const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: j.x as string, y: j.y as string }, format: 'jwk' });
      return { kid, alg: 'ES256', pem: key.export({ type: 'spki', format: 'pem' }).toString() };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** The BaseEnv variables the verifier reads. */
export type AuthEnv = Pick<
  BaseEnv,
  | 'NODE_ENV'
  | 'JWT_SECRET'
  | 'JWT_JWKS_URL'
  | 'JWT_JWKS_CACHE_SECONDS'
  | 'JWT_JWKS_MIN_REFETCH_SECONDS'
  | 'JWT_HS256_IN_PRODUCTION'
  | 'JWT_ISSUER'
  | 'JWT_AUDIENCE'
>;

/**
 * A service's verifier options from its config: one JWKS cache for all its verifiers (REST,
 * WebSocket, rate limit). The shared secret is honoured outside production, and in production
 * only with JWT_HS256_IN_PRODUCTION=true (said loudly: every holder of it can mint admin tokens).
 */
export function authOptionsFromConfig(config: AuthEnv, logger?: Logger): VerifierOptions {
  const production = config.NODE_ENV === 'production';
  const sharedSecret = config.JWT_SECRET !== undefined && (!production || config.JWT_HS256_IN_PRODUCTION);
  if (production && sharedSecret) {
    logger?.warn(
      'JWT_HS256_IN_PRODUCTION=true: HS256 tokens signed with the shared JWT_SECRET are accepted in production; anyone holding it can sign an admin token',
    );
  } else if (production && config.JWT_SECRET !== undefined) {
    logger?.info('JWT_SECRET is ignored in production: tokens are verified against JWT_JWKS_URL only');
  }
  return {
    ...(sharedSecret ? { secret: config.JWT_SECRET } : {}),
    ...(config.JWT_JWKS_URL
      ? {
          jwks: new JwksKeySource({
            url: config.JWT_JWKS_URL,
            cacheMaxAgeMs: config.JWT_JWKS_CACHE_SECONDS * 1000,
            minRefetchIntervalMs: config.JWT_JWKS_MIN_REFETCH_SECONDS * 1000,
            ...(logger ? { logger } : {}),
          }),
        }
      : {}),
    ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
    ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
  };
}

function userFromClaims(payload: Record<string, unknown>): AuthUser {
  const user = subjectRoleAndStore(payload);
  // The identity provider owns the email: the platform only shows it (order's accounts/profile).
  const { email } = payload;
  return typeof email === 'string' && email.length > 0 ? { ...user, email } : user;
}

function subjectRoleAndStore(payload: Record<string, unknown>): AuthUser {
  const { sub, role, store_id: storeId } = payload;
  if (typeof sub !== 'string' || sub.length === 0) {
    throw unauthenticated('UNAUTHENTICATED', 'token has no subject');
  }
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    throw unauthenticated('UNAUTHENTICATED', 'token has no valid role');
  }
  if (role === 'seller') {
    if (typeof storeId !== 'string' || storeId.length === 0) {
      throw unauthenticated('UNAUTHENTICATED', 'seller token has no store_id');
    }
    return { id: sub, role, storeId };
  }
  return typeof storeId === 'string' && storeId.length > 0 ? { id: sub, role: role as Role, storeId } : { id: sub, role: role as Role };
}

export interface SignOptions {
  secret: string;
  /** Milliseconds, or a string such as '1h'. Default one hour. */
  expiresIn?: number | string;
  issuer?: string;
  audience?: string;
}

/** Signs an HS256 token (tests, the demo, tools). Services never issue tokens themselves. */
export function signToken(claims: TokenClaims, opts: SignOptions): string {
  const sign = createSigner({
    key: opts.secret,
    algorithm: 'HS256',
    expiresIn: opts.expiresIn ?? '1h',
    ...(opts.issuer ? { iss: opts.issuer } : {}),
    ...(opts.audience ? { aud: opts.audience } : {}),
  });
  return sign(claims);
}
