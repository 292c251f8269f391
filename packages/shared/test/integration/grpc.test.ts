import { credentials, makeGenericClientConstructor, Metadata, type Client, type ServiceDefinition } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { callUnary, promisifyUnary, type UnaryMethod } from '../../src/grpc/client';
import { grpcHandler } from '../../src/grpc/errors';
import { startGrpcServer, type GrpcServerHandle } from '../../src/grpc/server';
import { DomainError, unprocessable } from '../../src/errors';
import { testLogger } from '../support/env';

// A hand-written JSON-encoded service, so this package's tests do not depend on @sudamall/proto.
interface EchoRequest {
  text: string;
  delayMs?: number;
}
interface EchoResponse {
  text: string;
}
const json = {
  requestSerialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  requestDeserialize: (b: Buffer) => JSON.parse(b.toString()),
  responseSerialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  responseDeserialize: (b: Buffer) => JSON.parse(b.toString()),
};
const EchoService = {
  echo: { path: '/sudamall.test.v1.EchoService/Echo', requestStream: false, responseStream: false, ...json },
  fail: { path: '/sudamall.test.v1.EchoService/Fail', requestStream: false, responseStream: false, ...json },
  crash: { path: '/sudamall.test.v1.EchoService/Crash', requestStream: false, responseStream: false, ...json },
} satisfies ServiceDefinition;

type EchoClient = Client & {
  echo: UnaryMethod<EchoRequest, EchoResponse>;
  fail: UnaryMethod<EchoRequest, EchoResponse>;
  crash: UnaryMethod<EchoRequest, EchoResponse>;
};
const EchoClientCtor = makeGenericClientConstructor(EchoService, 'EchoService') as unknown as new (
  address: string,
  creds: ReturnType<typeof credentials.createInsecure>,
) => EchoClient;

type HealthClient = Client & {
  check(req: { service: string }, cb: (err: Error | null, res: { status: string }) => void): void;
};
const HealthClientCtor = makeGenericClientConstructor(healthService, 'Health') as unknown as new (
  address: string,
  creds: ReturnType<typeof credentials.createInsecure>,
) => HealthClient;

let server: GrpcServerHandle;
let client: EchoClient;
let health: HealthClient;

beforeAll(async () => {
  server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    logger: testLogger,
    services: [
      {
        definition: EchoService,
        implementation: {
          echo: grpcHandler<EchoRequest, EchoResponse>(async (req) => {
            if (req.delayMs) await new Promise((r) => setTimeout(r, req.delayMs));
            return { text: req.text };
          }),
          fail: grpcHandler<EchoRequest, EchoResponse>(async (req) => {
            throw unprocessable('INSUFFICIENT_STOCK', `not enough ${req.text}`, { available: 2 });
          }),
          crash: grpcHandler<EchoRequest, EchoResponse>(async () => {
            throw new Error('secret connection string in here');
          }),
        },
      },
    ],
  });
  client = new EchoClientCtor(`127.0.0.1:${server.port}`, credentials.createInsecure());
  health = new HealthClientCtor(`127.0.0.1:${server.port}`, credentials.createInsecure());
});

afterAll(async () => {
  client.close();
  health.close();
  await server.close();
});

const check = (service: string) => new Promise<string>((resolve, reject) => health.check({ service }, (err, res) => (err ? reject(err) : resolve(res.status))));

describe('startGrpcServer', () => {
  it('binds a free port when asked for port 0', () => {
    expect(server.port).toBeGreaterThan(0);
  });

  it('answers health checks for the server and each service', async () => {
    expect(await check('')).toBe('SERVING');
    expect(await check('sudamall.test.v1.EchoService')).toBe('SERVING');
    server.setServing(false);
    expect(await check('')).toBe('NOT_SERVING');
    expect(await check('sudamall.test.v1.EchoService')).toBe('NOT_SERVING');
    server.setServing(true);
    expect(await check('')).toBe('SERVING');
  });

  it('serves a unary call through callUnary and promisifyUnary', async () => {
    expect(await callUnary(client.echo.bind(client), { text: 'hi' })).toEqual({ text: 'hi' });
    const echo = promisifyUnary(client, 'echo');
    expect(await echo({ text: 'again' }, { metadata: new Metadata() })).toEqual({ text: 'again' });
  });

  it('delivers a DomainError to the client with the same kind, code and details', async () => {
    const err = await callUnary(client.fail.bind(client), { text: 'socks' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ kind: 'unprocessable', code: 'INSUFFICIENT_STOCK', message: 'not enough socks', details: { available: 2 } });
  });

  it('answers an unexpected error with a bare INTERNAL', async () => {
    const err = (await callUnary(client.crash.bind(client), { text: 'x' }).catch((e: unknown) => e)) as DomainError;
    expect(err.kind).toBe('internal');
    expect(err.message).toBe('internal error');
  });

  it('turns a missed deadline into UPSTREAM_UNAVAILABLE', async () => {
    const err = (await callUnary(client.echo.bind(client), { text: 'slow', delayMs: 500 }, { deadlineMs: 50 }).catch((e: unknown) => e)) as DomainError;
    expect(err).toBeInstanceOf(DomainError);
    expect(err.kind).toBe('unavailable');
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('turns an unreachable peer into UPSTREAM_UNAVAILABLE', async () => {
    const nowhere = new EchoClientCtor('127.0.0.1:1', credentials.createInsecure());
    const err = (await callUnary(nowhere.echo.bind(nowhere), { text: 'x' }, { deadlineMs: 2000 }).catch((e: unknown) => e)) as DomainError;
    nowhere.close();
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
  });
});

describe('GrpcServerHandle.close', () => {
  it('lets an in-flight call finish, then refuses new calls', async () => {
    const other = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      logger: testLogger,
      services: [
        {
          definition: EchoService,
          implementation: {
            echo: grpcHandler<EchoRequest, EchoResponse>(async (req) => {
              if (req.delayMs) await new Promise((r) => setTimeout(r, req.delayMs));
              return { text: req.text };
            }),
            fail: grpcHandler(async () => ({ text: '' })),
            crash: grpcHandler(async () => ({ text: '' })),
          },
        },
      ],
    });
    const c = new EchoClientCtor(`127.0.0.1:${other.port}`, credentials.createInsecure());
    const inFlight = callUnary(c.echo.bind(c), { text: 'slow', delayMs: 300 });
    await new Promise((r) => setTimeout(r, 50));
    const closed = other.close();
    expect(await inFlight).toEqual({ text: 'slow' });
    await closed;
    const err = (await callUnary(c.echo.bind(c), { text: 'after' }, { deadlineMs: 1000 }).catch((e: unknown) => e)) as DomainError;
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    c.close();
  });
});
