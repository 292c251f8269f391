// What every documented route says about its errors, said once: the error body as one OpenAPI
// component, and the statuses a route can answer added from the route's own shape (registerOpenApi
// installs it as an onRoute hook), so route files declare only what is particular to them
// (409 and 422 where their use cases refuse something).
import { Type } from '@sinclair/typebox';
import type { RouteOptions } from 'fastify';

export const ERROR_BODY_ID = 'ErrorBody';

/** The shared error handler's body (errors.ts `ErrorBody`), as the document's `ErrorBody` component. */
export const ErrorBodySchema = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: 'stable, machine-readable: branch on this, never on the message', examples: ['INSUFFICIENT_STOCK'] }),
        message: Type.String({ description: 'for people; may change between releases', examples: ['only 2 left in size M'] }),
        details: Type.Optional(
          Type.Record(Type.String(), Type.Unknown(), {
            description: 'what the code is about (for VALIDATION_FAILED: `errors`, a list of `{ path, message }`)',
          }),
        ),
      },
      { additionalProperties: false },
    ),
  },
  {
    $id: ERROR_BODY_ID,
    title: ERROR_BODY_ID,
    additionalProperties: false,
    description: 'Every error answer of every service has this shape.',
    examples: [
      {
        error: {
          code: 'VALIDATION_FAILED',
          message: 'request is invalid',
          details: { errors: [{ path: 'body.quantity', message: 'must be >= 1' }] },
        },
      },
    ],
  },
);

/** What each standard status means on this platform (the response's description). */
export const STANDARD_ERRORS: Readonly<Record<number, string>> = {
  400: 'The request is invalid: VALIDATION_FAILED (with the failing paths in `details.errors`), MALFORMED_JSON, INVALID_CHARACTER (U+0000 or an unpaired surrogate), BAD_URL, or a domain rule the input breaks.',
  401: 'UNAUTHENTICATED: no bearer token, or one that is expired, badly signed or of an unaccepted algorithm.',
  403: 'FORBIDDEN: the token is valid but its role (or store, or ownership) does not allow this.',
  404: 'Not found: the id in the path names nothing the caller may see (a `*_NOT_FOUND` code).',
  409: 'Conflict: the resource is not in a state that allows this (the code says which).',
  413: "PAYLOAD_TOO_LARGE: the body is over the service's limit.",
  414: 'URI_TOO_LONG: a path parameter is over 100 characters.',
  415: 'UNSUPPORTED_MEDIA_TYPE: the body is not `application/json`.',
  422: 'Unprocessable: the request is well formed but cannot be carried out as asked (the code says why).',
  429: 'RATE_LIMITED: too many requests from this caller in the window; retry after `Retry-After` seconds.',
  503: "A dependency (database, lock store, another service, the identity provider's JWKS) is unavailable: retry after `Retry-After`; nothing was changed, or it will be reconciled.",
};

const SUCCESS: Readonly<Record<number, string>> = {
  200: 'OK.',
  201: 'Created.',
  202: 'Accepted (see the operation for what follows).',
  204: 'Done; no body.',
};

/** A response entry for an error status: the shared body, with what the status means here. */
export function errorResponse(status: number, description = STANDARD_ERRORS[status] ?? 'Error.'): Record<string, unknown> {
  return { description, $ref: `${ERROR_BODY_ID}#` };
}

/**
 * Per route, in `config.openapi`: statuses the shape suggests but the route never answers (a
 * webhook that takes any content type cannot answer 415).
 */
export interface RouteDocsConfig {
  omitErrors?: number[];
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const VERBS: Record<string, string> = { GET: 'get', POST: 'post', PUT: 'put', PATCH: 'patch', DELETE: 'delete', OPTIONS: 'options' };

/** `GET /api/v1/products/:id/stock/` → `getProductsByIdStock`: used only where a route names none. */
export function derivedOperationId(method: string, url: string): string {
  const words = url
    .replace(/^\/api\/v\d+\//, '/')
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => (s.startsWith(':') ? `by_${s.slice(1)}` : s))
    .flatMap((s) => s.split(/[^A-Za-z0-9]+/))
    .filter((s) => s.length > 0);
  const pascal = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
  return `${VERBS[method] ?? method.toLowerCase()}${pascal}`;
}

type Schema = Record<string, unknown>;

function isHidden(schema: Schema | undefined): boolean {
  return schema?.hide === true;
}

/**
 * Completes a route's documentation from its shape (an onRoute hook; mutates nothing shared:
 * route files reuse one `errors` or `security` object across routes):
 * - every error status is the `ErrorBody` component, with the status's description;
 * - 400 where the route takes input, 429 and 503 everywhere (rate limit, dependencies);
 * - 401 and 403 where the route has `security`; an unsecured route gets `security: []` (public);
 * - 404 and 414 where the path has parameters; 413 and 415 where the method carries a body;
 * - an operationId where the route names none.
 */
export function documentRoute(route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (methods.every((m) => m === 'HEAD')) return;
  const schema = (route.schema ?? {}) as Schema;
  if (isHidden(schema)) return;
  const omit = new Set((route.config as { openapi?: RouteDocsConfig } | undefined)?.openapi?.omitErrors ?? []);

  const security = schema.security as unknown[] | undefined;
  const authenticated = Array.isArray(security) && security.length > 0;
  const hasParams = schema.params !== undefined || /\/[:*]/.test(route.url);
  const hasBody = schema.body !== undefined || methods.some((m) => BODY_METHODS.has(m));
  const takesInput = hasBody || hasParams || schema.querystring !== undefined || schema.headers !== undefined;

  const statuses = new Set<number>([429, 503]);
  if (takesInput) statuses.add(400);
  if (authenticated) {
    statuses.add(401);
    statuses.add(403);
  }
  if (hasParams) {
    statuses.add(404);
    statuses.add(414);
  }
  if (hasBody) {
    statuses.add(413);
    statuses.add(415);
  }

  const response: Record<string, unknown> = {};
  for (const [status, entry] of Object.entries((schema.response ?? {}) as Record<string, unknown>)) {
    const code = Number(status);
    if (Number.isInteger(code) && code >= 400) {
      // The route's own description of a status it declares wins (a 409's particular cause).
      const own = (entry as Schema | undefined)?.description;
      response[status] = errorResponse(code, typeof own === 'string' ? own : undefined);
    } else if (entry !== null && typeof entry === 'object' && typeof (entry as Schema).description !== 'string') {
      // (swagger would say "Default Response"; a copy, as the schema object may serve other routes)
      response[status] = { ...(entry as Schema), description: SUCCESS[code] ?? 'Success.' };
    } else {
      response[status] = entry;
    }
  }
  for (const code of statuses) {
    if (!(String(code) in response) && !omit.has(code)) response[String(code)] = errorResponse(code);
  }
  for (const code of omit) delete response[String(code)];

  const method = methods.find((m) => m !== 'HEAD') ?? methods[0];
  route.schema = {
    ...schema,
    ...(schema.operationId === undefined ? { operationId: derivedOperationId(method, route.url) } : {}),
    ...(security === undefined ? { security: [] } : {}),
    response,
  };
}
