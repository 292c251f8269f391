import { createSigner, createVerifier } from 'fast-jwt';
import { unauthenticated } from './errors';

export type Role = 'buyer' | 'seller' | 'admin';
export const ROLES: readonly Role[] = ['buyer', 'seller', 'admin'];

/** Who is calling, as the services see it. */
export interface AuthUser {
  id: string;
  role: Role;
  /** Present for sellers: the store they act for. */
  storeId?: string;
}

export interface TokenClaims {
  sub: string;
  role: Role;
  store_id?: string;
  [claim: string]: unknown;
}

export interface VerifierOptions {
  secret: string;
  issuer?: string;
  audience?: string;
}

/**
 * A synchronous verifier: HS256 only (so `alg: none` and asymmetric-key confusion are refused),
 * expiry always checked, issuer and audience when configured. Throws DomainError
 * `unauthenticated` / `UNAUTHENTICATED` for anything it does not accept.
 */
export function createTokenVerifier(opts: VerifierOptions): (token: string) => AuthUser {
  const verify = createVerifier({
    key: opts.secret,
    algorithms: ['HS256'],
    // fast-jwt checks iss/aud only when present: require them when configured, and always an
    // expiry, so a token that would never expire is refused.
    requiredClaims: ['exp', ...(opts.issuer ? ['iss'] : []), ...(opts.audience ? ['aud'] : [])],
    ...(opts.issuer ? { allowedIss: opts.issuer } : {}),
    ...(opts.audience ? { allowedAud: opts.audience } : {}),
  });
  return (token: string): AuthUser => {
    let payload: Record<string, unknown>;
    try {
      payload = verify(token) as Record<string, unknown>;
    } catch (e) {
      throw unauthenticated('UNAUTHENTICATED', 'invalid or expired token', {
        reason: (e as { code?: string }).code ?? 'invalid_token',
      });
    }
    return userFromClaims(payload);
  };
}

function userFromClaims(payload: Record<string, unknown>): AuthUser {
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
  return typeof storeId === 'string' && storeId.length > 0
    ? { id: sub, role: role as Role, storeId }
    : { id: sub, role: role as Role };
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
