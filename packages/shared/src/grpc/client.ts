import { Metadata, type CallOptions, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { fromGrpcError } from '../errors';

/** The four-argument overload every ts-proto grpc-js client method has. */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

export interface CallOpts {
  /** Deadline from now; default 5000 ms, so a stuck peer never hangs a request forever. */
  deadlineMs?: number;
  metadata?: Metadata;
}

export const DEFAULT_DEADLINE_MS = 5000;

/** Calls a bound unary method; rejects with a DomainError (see fromGrpcError). */
export function callUnary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, opts: CallOpts = {}): Promise<Res> {
  const deadline = new Date(Date.now() + (opts.deadlineMs ?? DEFAULT_DEADLINE_MS));
  return new Promise<Res>((resolve, reject) => {
    method(request, opts.metadata ?? new Metadata(), { deadline }, (error, response) => {
      if (error) reject(fromGrpcError(error));
      else resolve(response);
    });
  });
}

type RequestOf<M> = M extends UnaryMethod<infer Req, unknown> ? Req : never;
type ResponseOf<M> = M extends UnaryMethod<never, infer Res> ? Res : never;

/** `promisifyUnary(client, 'reserve')` → `(request, opts?) => Promise<Response>`. */
export function promisifyUnary<C extends object, K extends keyof C>(
  client: C,
  method: K,
): (request: RequestOf<C[K]>, opts?: CallOpts) => Promise<ResponseOf<C[K]>> {
  const fn = (client[method] as unknown as (...args: unknown[]) => ClientUnaryCall).bind(client);
  return (request, opts) => callUnary(fn as unknown as UnaryMethod<RequestOf<C[K]>, ResponseOf<C[K]>>, request, opts);
}
