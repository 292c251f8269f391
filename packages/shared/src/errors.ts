import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

export type ErrorKind = 'invalid' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'unprocessable' | 'unavailable' | 'internal';

export type ErrorDetails = Record<string, unknown>;

/** The one error type of the domain: a kind (how transports map it) and a stable code. */
export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}

export const invalid = (code: string, message: string, details?: ErrorDetails) => new DomainError('invalid', code, message, details);
export const unauthenticated = (code: string, message: string, details?: ErrorDetails) => new DomainError('unauthenticated', code, message, details);
export const forbidden = (code: string, message: string, details?: ErrorDetails) => new DomainError('forbidden', code, message, details);
export const notFound = (code: string, message: string, details?: ErrorDetails) => new DomainError('not_found', code, message, details);
export const conflict = (code: string, message: string, details?: ErrorDetails) => new DomainError('conflict', code, message, details);
export const unprocessable = (code: string, message: string, details?: ErrorDetails) => new DomainError('unprocessable', code, message, details);
export const unavailable = (code: string, message: string, details?: ErrorDetails) => new DomainError('unavailable', code, message, details);
export const internal = (code: string, message: string, details?: ErrorDetails) => new DomainError('internal', code, message, details);

const HTTP_STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  unavailable: 503,
  internal: 500,
};

export function httpStatusOf(err: DomainError): number {
  return HTTP_STATUS[err.kind];
}

export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetails };
}

export function errorBody(err: DomainError): ErrorBody {
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(err.details !== undefined ? { details: err.details } : {}),
    },
  };
}

export function grpcStatusOf(err: DomainError): GrpcStatus {
  switch (err.kind) {
    case 'invalid':
      return GrpcStatus.INVALID_ARGUMENT;
    case 'unauthenticated':
      return GrpcStatus.UNAUTHENTICATED;
    case 'forbidden':
      return GrpcStatus.PERMISSION_DENIED;
    case 'not_found':
      return GrpcStatus.NOT_FOUND;
    case 'conflict':
      return err.code.endsWith('_EXISTS') ? GrpcStatus.ALREADY_EXISTS : GrpcStatus.FAILED_PRECONDITION;
    case 'unprocessable':
      return GrpcStatus.FAILED_PRECONDITION;
    case 'unavailable':
      return GrpcStatus.UNAVAILABLE;
    case 'internal':
      return GrpcStatus.INTERNAL;
  }
}

/**
 * A failure of the infrastructure under a request (the database restarting or out of
 * connections, a transaction that could not start in time, a refused socket) is not the
 * caller's mistake nor a bug: it is "try again", 503 / UNAVAILABLE. Recognised by the stable
 * codes of Prisma, PostgreSQL and Node, looking one cause deep (driver adapters wrap them).
 */
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
const PG_UNAVAILABLE = /^(08...|57P0[123]|53300)$/;
const NODE_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);
// node-postgres throws plain Errors (no code) for a connection that died under a client, e.g.
// "Client has encountered a connection error and is not queryable" when PostgreSQL restarts
// with a transaction's client checked out (seen in the chaos PostgreSQL-restart scenario).
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Unable to start a transaction in the given time|Client has encountered a connection error and is not queryable|Client was closed and is not queryable|Can't reach database server|terminating connection due to administrator command/i;

export function asUnavailable(err: unknown): DomainError | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    const message = (e as { message?: unknown }).message;
    // A failed raw query (Prisma P2010) carries PostgreSQL's own code in meta.code.
    const metaCode = (e as { meta?: { code?: unknown } }).meta?.code;
    if (
      (typeof code === 'string' && (PRISMA_UNAVAILABLE.has(code) || PG_UNAVAILABLE.test(code) || NODE_UNAVAILABLE.has(code))) ||
      (typeof metaCode === 'string' && PG_UNAVAILABLE.test(metaCode)) ||
      (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message))
    ) {
      return unavailable('SERVICE_UNAVAILABLE', 'a dependency of this service is unavailable; try again shortly');
    }
  }
  return undefined;
}

export const ERROR_CODE_KEY = 'error-code';
export const ERROR_DETAILS_KEY = 'error-details';
/** The kind travels too, because FAILED_PRECONDITION alone cannot tell conflict from unprocessable. */
export const ERROR_KIND_KEY = 'error-kind';

/**
 * JSON with every non-ASCII character escaped (`\\uXXXX`): grpc-js refuses a metadata value with
 * anything but printable ASCII by throwing, and details often echo the caller's input (an id with
 * a unicode character once crashed the order service from inside its gRPC error path).
 */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A grpc-js ServiceError carrying the code, kind and details in metadata. */
export function toGrpcError(err: DomainError): ServiceError {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_KEY, err.code);
  metadata.set(ERROR_KIND_KEY, err.kind);
  if (err.details !== undefined) metadata.set(ERROR_DETAILS_KEY, asciiJson(err.details));
  const code = grpcStatusOf(err);
  return Object.assign<Error, Omit<ServiceError, keyof Error>>(new Error(err.message), { code, details: err.message, metadata });
}

const KIND_OF_STATUS: Partial<Record<number, ErrorKind>> = {
  [GrpcStatus.INVALID_ARGUMENT]: 'invalid',
  [GrpcStatus.OUT_OF_RANGE]: 'invalid',
  [GrpcStatus.UNAUTHENTICATED]: 'unauthenticated',
  [GrpcStatus.PERMISSION_DENIED]: 'forbidden',
  [GrpcStatus.NOT_FOUND]: 'not_found',
  [GrpcStatus.ALREADY_EXISTS]: 'conflict',
  [GrpcStatus.ABORTED]: 'conflict',
  [GrpcStatus.FAILED_PRECONDITION]: 'unprocessable',
  [GrpcStatus.UNAVAILABLE]: 'unavailable',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'unavailable',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'unavailable',
};

const KINDS: readonly ErrorKind[] = ['invalid', 'unauthenticated', 'forbidden', 'not_found', 'conflict', 'unprocessable', 'unavailable', 'internal'];

function metadataString(metadata: Metadata | undefined, key: string): string | undefined {
  const value = metadata?.get(key)[0];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}

/** Turns an error from a grpc-js client call back into a DomainError. */
export function fromGrpcError(e: unknown): DomainError {
  if (e instanceof DomainError) return e;
  const err = e as Partial<ServiceError> | undefined;
  const code = typeof err?.code === 'number' ? err.code : GrpcStatus.UNKNOWN;
  const message = (typeof err?.details === 'string' && err.details) || (err?.message ?? 'upstream call failed');
  if (code === GrpcStatus.UNAVAILABLE || code === GrpcStatus.DEADLINE_EXCEEDED || code === GrpcStatus.CANCELLED) {
    const errorCode = metadataString(err?.metadata, ERROR_CODE_KEY);
    // An UNAVAILABLE raised deliberately by the peer (e.g. LOCK_UNAVAILABLE) keeps its own code.
    if (errorCode && code === GrpcStatus.UNAVAILABLE) {
      return new DomainError('unavailable', errorCode, message, parseDetails(err?.metadata));
    }
    return new DomainError('unavailable', 'UPSTREAM_UNAVAILABLE', message, { grpc_code: GrpcStatus[code] });
  }
  const errorCode = metadataString(err?.metadata, ERROR_CODE_KEY);
  const kindRaw = metadataString(err?.metadata, ERROR_KIND_KEY);
  const kind: ErrorKind = kindRaw && (KINDS as readonly string[]).includes(kindRaw) ? (kindRaw as ErrorKind) : (KIND_OF_STATUS[code] ?? 'internal');
  return new DomainError(kind, errorCode ?? `UPSTREAM_${GrpcStatus[code] ?? 'ERROR'}`, message, parseDetails(err?.metadata));
}

function parseDetails(metadata: Metadata | undefined): ErrorDetails | undefined {
  const raw = metadataString(metadata, ERROR_DETAILS_KEY);
  if (raw === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' && parsed !== null ? (parsed as ErrorDetails) : { value: parsed };
  } catch {
    return undefined;
  }
}
