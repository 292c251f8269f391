import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createTokenVerifier, type AuthUser, type Role, type VerifierOptions } from '../auth';
import { forbidden, unauthenticated } from '../errors';

export type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `app.authenticate` / `app.requireRole`; only read it on routes that use them. */
    user: AuthUser;
  }
  interface FastifyInstance {
    /** preHandler: requires a valid bearer token and sets `request.user`. */
    authenticate: AuthHook;
    /** preHandler: authenticates, then requires one of the roles (403 FORBIDDEN otherwise). */
    requireRole: (...roles: Role[]) => AuthHook;
  }
}

/** `{ secret?, jwks?, issuer?, audience? }`: see createTokenVerifier (authOptionsFromConfig builds it). */
export type AuthPluginOptions = VerifierOptions;

const BEARER = /^Bearer\s+(\S+)\s*$/i;

async function authPluginImpl(app: FastifyInstance, opts: AuthPluginOptions): Promise<void> {
  const verify = createTokenVerifier(opts);

  const authenticate: AuthHook = async (request) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    if (!match) throw unauthenticated('UNAUTHENTICATED', 'a bearer token is required');
    request.user = await verify(match[1]);
  };

  const requireRole =
    (...roles: Role[]): AuthHook =>
    async (request, reply) => {
      await authenticate(request, reply);
      if (!roles.includes(request.user.role)) {
        throw forbidden('FORBIDDEN', `requires role ${roles.join(' or ')}`);
      }
    };

  app.decorateRequest('user', null as unknown as AuthUser);
  app.decorate('authenticate', authenticate);
  app.decorate('requireRole', requireRole);
}

/** Bearer JWT authentication for fastify (JWKS RS256/ES256, or HS256 locally); see the README for the hooks it adds. */
export const authPlugin = fp(authPluginImpl, { name: 'sudamall-auth', fastify: '5.x' });
