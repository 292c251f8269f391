import { Metadata, status } from '@grpc/grpc-js';
import {
  asUnavailable,
  conflict,
  DomainError,
  errorBody,
  forbidden,
  fromGrpcError,
  httpStatusOf,
  internal,
  invalid,
  notFound,
  toGrpcError,
  unauthenticated,
  unavailable,
  unprocessable,
  type ErrorKind,
} from '../../src/errors';

const table: Array<[DomainError, number, status]> = [
  [invalid('BAD_QUANTITY', 'quantity must be positive'), 400, status.INVALID_ARGUMENT],
  [unauthenticated('UNAUTHENTICATED', 'no token'), 401, status.UNAUTHENTICATED],
  [forbidden('FORBIDDEN', 'not yours'), 403, status.PERMISSION_DENIED],
  [notFound('PRODUCT_NOT_FOUND', 'no such product'), 404, status.NOT_FOUND],
  [conflict('CART_LOCKED', 'cart is checking out'), 409, status.FAILED_PRECONDITION],
  [conflict('PRODUCT_EXISTS', 'sku taken'), 409, status.ALREADY_EXISTS],
  [unprocessable('INSUFFICIENT_STOCK', 'only 2 left', { available: 2 }), 422, status.FAILED_PRECONDITION],
  [unavailable('LOCK_UNAVAILABLE', 'redis is down'), 503, status.UNAVAILABLE],
  [internal('INTERNAL', 'broken invariant'), 500, status.INTERNAL],
];

describe('DomainError mapping', () => {
  it.each(table)('%p maps to HTTP %p and gRPC %p', (err, http, grpc) => {
    expect(httpStatusOf(err)).toBe(http);
    expect(toGrpcError(err).code).toBe(grpc);
  });

  it('renders the stable HTTP body, with details only when present', () => {
    expect(errorBody(unprocessable('INSUFFICIENT_STOCK', 'only 2 left', { available: 2 }))).toEqual({
      error: { code: 'INSUFFICIENT_STOCK', message: 'only 2 left', details: { available: 2 } },
    });
    expect(errorBody(notFound('ORDER_NOT_FOUND', 'no such order'))).toEqual({
      error: { code: 'ORDER_NOT_FOUND', message: 'no such order' },
    });
  });

  it.each(table)('%p survives a gRPC round trip with kind, code, message and details', (err) => {
    const back = fromGrpcError(toGrpcError(err));
    expect(back).toBeInstanceOf(DomainError);
    expect(back.kind).toBe(err.kind);
    expect(back.code).toBe(err.code);
    expect(back.message).toBe(err.message);
    expect(back.details).toEqual(err.details);
  });

  it('puts the code and JSON details in the error-code / error-details metadata', () => {
    const grpcError = toGrpcError(unprocessable('INSUFFICIENT_STOCK', 'only 2 left', { available: 2 }));
    expect(grpcError.metadata.get('error-code')).toEqual(['INSUFFICIENT_STOCK']);
    expect(JSON.parse(String(grpcError.metadata.get('error-details')[0]))).toEqual({ available: 2 });
  });

  it('turns transport failures into unavailable UPSTREAM_UNAVAILABLE', () => {
    for (const code of [status.UNAVAILABLE, status.DEADLINE_EXCEEDED]) {
      const err = fromGrpcError({ code, details: 'connect failed', metadata: new Metadata(), message: 'x', name: 'Error' });
      expect(err.kind).toBe('unavailable');
      expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    }
  });

  it('maps a bare gRPC status from a foreign server by status alone', () => {
    const cases: Array<[status, ErrorKind]> = [
      [status.NOT_FOUND, 'not_found'],
      [status.INVALID_ARGUMENT, 'invalid'],
      [status.INTERNAL, 'internal'],
      [status.UNKNOWN, 'internal'],
    ];
    for (const [code, kind] of cases) {
      const err = fromGrpcError({ code, details: 'nope', metadata: new Metadata(), message: 'nope', name: 'Error' });
      expect(err.kind).toBe(kind);
      expect(err.code).toBe(`UPSTREAM_${status[code]}`);
    }
  });
});

describe('asUnavailable', () => {
  it('recognises infrastructure failures by their stable codes, one cause deep', () => {
    expect(asUnavailable(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))?.code).toBe('SERVICE_UNAVAILABLE');
    expect(asUnavailable(Object.assign(new Error('x'), { code: 'P2024' }))?.kind).toBe('unavailable');
    expect(asUnavailable(new Error('wrapped', { cause: Object.assign(new Error('y'), { code: '08006' }) }))).toBeDefined();
    expect(asUnavailable(new Error('Connection terminated unexpectedly'))).toBeDefined();
    expect(asUnavailable(new Error('Client has encountered a connection error and is not queryable'))).toBeDefined();
    expect(asUnavailable(new Error('Client was closed and is not queryable'))).toBeDefined();
    // Prisma's raw-query failure: its own code is P2010, PostgreSQL's is in meta.
    expect(asUnavailable(Object.assign(new Error('Raw query failed.'), { code: 'P2010', meta: { code: '57P01' } }))).toBeDefined();
    expect(asUnavailable(Object.assign(new Error('Raw query failed.'), { code: 'P2010', meta: { code: '23505' } }))).toBeUndefined();
    expect(asUnavailable(new Error("Raw query failed. Code: `N/A`. Message: `Can't reach database server at 127.0.0.1:5432`"))).toBeDefined();
    // A constraint violation or a plain bug is not "try again".
    expect(asUnavailable(Object.assign(new Error('dup'), { code: '23505' }))).toBeUndefined();
    expect(asUnavailable(new TypeError('undefined is not a function'))).toBeUndefined();
    expect(asUnavailable('not an error')).toBeUndefined();
  });
});
