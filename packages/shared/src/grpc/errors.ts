import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { asUnavailable, DomainError, toGrpcError } from '../errors';

let defaultLogger: Logger | undefined;

/** startGrpcServer sets this so handlers built with grpcHandler(fn) log through the service's logger. */
export function setGrpcHandlerLogger(logger: Logger): void {
  defaultLogger = logger;
}

export type UnaryHandlerFn<Req, Res> = (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>;

/**
 * Adapts an async function to a grpc-js unary handler. A DomainError travels with its status
 * and code (see toGrpcError); anything else is logged and answered with a bare INTERNAL, so
 * callers never see internals.
 */
export function grpcHandler<Req, Res>(
  fn: UnaryHandlerFn<Req, Res>,
  opts: { logger?: Logger } = {},
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    fn(call.request, call).then(
      (response) => callback(null, response),
      (err: unknown) => {
        if (err instanceof DomainError) {
          if (err.kind === 'internal') (opts.logger ?? defaultLogger)?.error({ err, path: call.getPath() }, 'grpc handler failed');
          callback(toGrpcError(err));
          return;
        }
        const down = asUnavailable(err);
        if (down) {
          (opts.logger ?? defaultLogger)?.warn({ err, path: call.getPath() }, 'grpc handler failed: a dependency is unavailable');
          callback(toGrpcError(down));
          return;
        }
        (opts.logger ?? defaultLogger)?.error({ err, path: call.getPath() }, 'grpc handler failed');
        callback({ code: GrpcStatus.INTERNAL, details: 'internal error', name: 'Error', message: 'internal error' });
      },
    );
  };
}
