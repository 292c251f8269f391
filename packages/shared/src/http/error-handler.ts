import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, errorBody, httpStatusOf, type ErrorBody } from '../errors';

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
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(body('INTERNAL', 'internal error'));
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    return reply
      .status(404)
      .send(body('NOT_FOUND', `route ${request.method} ${request.url.split('?')[0]} not found`));
  });
}
