import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asUnavailable, DomainError, errorBody, httpStatusOf, type ErrorBody } from '../errors';

export interface ValidationIssue {
  /** Where the problem is, e.g. `body.lines.0.quantity` or `querystring.limit`. */
  path: string;
  message: string;
}

interface AjvIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

function issuesOf(error: FastifyError): ValidationIssue[] {
  const context = (error as { validationContext?: string }).validationContext ?? 'body';
  const issues = (error.validation ?? []) as AjvIssue[];
  return issues.map((issue) => {
    const segments = (issue.instancePath ?? '').split('/').filter((s) => s.length > 0);
    // A missing property is reported on its parent; name the property itself.
    const missing = issue.params?.missingProperty;
    if (typeof missing === 'string') segments.push(missing);
    const additional = issue.params?.additionalProperty;
    if (typeof additional === 'string') segments.push(additional);
    return { path: [context, ...segments].join('.'), message: issue.message ?? 'is invalid' };
  });
}

function body(code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: { code, message, ...(details !== undefined ? { details } : {}) } };
}

/** Fastify's own client errors, each with a stable code instead of fastify's internals. */
function clientErrorOf(error: FastifyError): { status: number; body: ErrorBody } | undefined {
  switch (error.code) {
    case 'FST_ERR_VALIDATION':
      return {
        status: 400,
        body: body('VALIDATION_FAILED', 'request is invalid', { errors: issuesOf(error) }),
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: body('PAYLOAD_TOO_LARGE', 'request body is too large') };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: body('MALFORMED_JSON', 'request body is empty but declared as JSON') };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, body: body('MALFORMED_JSON', 'request body is not valid JSON') };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: body('UNSUPPORTED_MEDIA_TYPE', 'content type is not supported') };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, body: body('BAD_REQUEST', 'content length does not match the body') };
    default:
      break;
  }
  if (error.validation) {
    return { status: 400, body: body('VALIDATION_FAILED', 'request is invalid', { errors: issuesOf(error) }) };
  }
  // The JSON parser's SyntaxError (older fastify paths, custom parsers).
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return { status: 400, body: body('MALFORMED_JSON', 'request body is not valid JSON') };
  }
  const status = error.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: body(codeForStatus(status), error.message || 'bad request') };
  }
  return undefined;
}

function codeForStatus(status: number): string {
  switch (status) {
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 405:
      return 'METHOD_NOT_ALLOWED';
    case 409:
      return 'CONFLICT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 429:
      return 'RATE_LIMITED';
    default:
      return 'BAD_REQUEST';
  }
}

/**
 * One place that turns anything thrown in a route into the stable error body. Domain errors
 * keep their kind's status; fastify's own client errors get stable codes; everything else is
 * a 500 whose body says nothing about the cause (the log has the stack).
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof DomainError) {
      const status = httpStatusOf(error);
      if (status >= 500) request.log.error({ err: error }, 'request failed with a domain error');
      return reply.status(status).send(errorBody(error));
    }
    const client = clientErrorOf(error);
    if (client) {
      request.log.info({ code: client.body.error.code, err_message: error.message }, 'client error');
      return reply.status(client.status).send(client.body);
    }
    const down = asUnavailable(error);
    if (down) {
      request.log.warn({ err: error }, 'request failed: a dependency is unavailable');
      return reply.status(503).header('retry-after', '1').send(errorBody(down));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(body('INTERNAL', 'internal error'));
  });

  // PostgreSQL text cannot hold U+0000 nor an unpaired UTF-16 surrogate (not encodable as
  // UTF-8): such a value would fail in the database as a 500 after the request was accepted,
  // so it is refused up front as the client's mistake.
  app.addHook('preValidation', async (request: FastifyRequest) => {
    for (const [part, value] of [
      ['params', request.params],
      ['querystring', request.query],
      ['body', request.body],
    ] as const) {
      const path = nulPath(value);
      if (path !== undefined) {
        throw new DomainError('invalid', 'INVALID_CHARACTER', 'text must not contain the NUL character or an unpaired surrogate', {
          errors: [{ path: [part, ...path].join('.'), message: 'must not contain U+0000 or an unpaired surrogate' }],
        });
      }
    }
  });

  // Ajv coerces a query string such as `1e400` to Infinity, and its minimum/maximum checks skip
  // non-finite numbers (JSON.parse makes Infinity of a body's 1e400 too): past validation such a
  // value would reach the use case (a page offset, a date) and fail there as a 500.
  app.addHook('preHandler', async (request: FastifyRequest) => {
    for (const [part, value] of [
      ['params', request.params],
      ['querystring', request.query],
      ['body', request.body],
    ] as const) {
      const path = nonFinitePath(value);
      if (path !== undefined) {
        throw new DomainError('invalid', 'VALIDATION_FAILED', 'request is invalid', {
          errors: [{ path: [part, ...path].join('.'), message: 'must be a finite number' }],
        });
      }
    }
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0];
    // The router found no route for this method; one for another method on the same path
    // means the path exists: 405 with what it does allow, so a client sees its mistake.
    // (A handler's own callNotFound() is a real 404: its method is among the allowed.)
    const allowed = allowedMethods(app, path);
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      return reply
        .status(405)
        .header('allow', allowed.join(', '))
        .send(body('METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}`, { allowed }));
    }
    return reply.status(404).send(body('NOT_FOUND', `route ${request.method} ${path} not found`));
  });
}

const ROUTABLE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** The methods some route serves on this concrete path (HEAD comes with GET: fastify exposes it). */
export function allowedMethods(app: FastifyInstance, path: string): string[] {
  return ROUTABLE_METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
}

/**
 * Fastify's `frameworkErrors` option: the router answers a malformed URL component or a path
 * parameter longer than `maxParamLength` (100) itself, before any hook or error handler, with
 * fastify's own body (its internal code, the path echoed back). This answers them in the stable
 * shape instead: `Fastify({ frameworkErrors, ... })`.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  request.log.info({ code: error.code }, 'client error (router)');
  switch (error.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      void reply.status(414).send(body('URI_TOO_LONG', 'a path parameter is too long'));
      return;
    case 'FST_ERR_BAD_URL':
      void reply.status(400).send(body('BAD_URL', 'the url is not valid'));
      return;
    default:
      void reply.status(400).send(body('BAD_REQUEST', 'bad request'));
  }
}

/**
 * Where a NUL character sits in a parsed value (keys included), or undefined. Iterative with
 * parent links (the path is built only when found), so deep JSON neither overflows the stack nor
 * costs quadratic time.
 */
// eslint-disable-next-line no-control-regex -- because NUL (which PostgreSQL text cannot hold) is what it looks for
const UNSTORABLE_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function nulPath(root: unknown): string[] | undefined {
  interface Node {
    value: unknown;
    key: string;
    parent?: Node;
  }
  const pathOf = (node: Node | undefined, last?: string): string[] => {
    const out: string[] = last === undefined ? [] : [last];
    for (let n = node; n && n.parent; n = n.parent) out.push(n.key);
    return out.reverse();
  };
  const stack: Node[] = [{ value: root, key: '' }];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    const { value } = node;
    if (typeof value === 'string') {
      if (UNSTORABLE_TEXT.test(value)) return pathOf(node);
    } else if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
      // (a raw body parser's Buffer is bytes, not text fields)
      for (const key of Object.keys(value)) {
        if (UNSTORABLE_TEXT.test(key)) return pathOf(node, JSON.stringify(key).slice(1, -1));
        stack.push({ value: (value as Record<string, unknown>)[key], key, parent: node });
      }
    }
  }
  return undefined;
}

/** Where a non-finite number (Infinity, NaN) sits in a parsed value, or undefined (parent links, as nulPath). */
function nonFinitePath(root: unknown): string[] | undefined {
  interface Node {
    value: unknown;
    key: string;
    parent?: Node;
  }
  const stack: Node[] = [{ value: root, key: '' }];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    const { value } = node;
    if (typeof value === 'number') {
      if (Number.isFinite(value)) continue;
      const out: string[] = [];
      for (let n: Node | undefined = node; n && n.parent; n = n.parent) out.push(n.key);
      return out.reverse();
    }
    if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
      for (const key of Object.keys(value)) stack.push({ value: (value as Record<string, unknown>)[key], key, parent: node });
    }
  }
  return undefined;
}
