// gRPC with mTLS: certificates this test makes with openssl (a CA, a server and a client signed
// by it, and a second CA with a client of its own). The server completes a handshake only with
// a client certificate from its CA; a client trusts only servers that CA signed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, makeGenericClientConstructor, type ChannelCredentials, type Client, type ServiceDefinition } from '@grpc/grpc-js';
import { BaseEnv, ConfigError, loadConfig } from '../../src/config';
import { DomainError } from '../../src/errors';
import { callUnary, type UnaryMethod } from '../../src/grpc/client';
import { grpcHandler } from '../../src/grpc/errors';
import { startGrpcServer, type GrpcServerHandle } from '../../src/grpc/server';
import { grpcChannelCredentials, grpcTlsFromConfig, type GrpcTls } from '../../src/grpc/tls';
import { testLogger } from '../support/env';

const json = {
  requestSerialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  requestDeserialize: (b: Buffer) => JSON.parse(b.toString()),
  responseSerialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  responseDeserialize: (b: Buffer) => JSON.parse(b.toString()),
};
const EchoService = {
  echo: { path: '/sudamall.test.v1.EchoService/Echo', requestStream: false, responseStream: false, ...json },
} satisfies ServiceDefinition;
type EchoClient = Client & { echo: UnaryMethod<{ text: string }, { text: string }> };
const EchoClientCtor = makeGenericClientConstructor(EchoService, 'EchoService') as unknown as new (address: string, creds: ChannelCredentials) => EchoClient;

const dir = mkdtempSync(join(tmpdir(), 'sudamall-mtls-'));
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

function makeCa(name: string): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
}
/** A leaf for 127.0.0.1 / localhost (both server and client use), signed by `ca`. */
function makeLeaf(name: string, ca: string): void {
  writeFileSync(
    join(dir, `${name}.ext`),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n',
  );
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  );
}
const paths = (leaf: string, ca: string) => ({
  GRPC_TLS_CA: join(dir, `${ca}.pem`),
  GRPC_TLS_CERT: join(dir, `${leaf}.pem`),
  GRPC_TLS_KEY: join(dir, `${leaf}.key`),
});
const tlsOf = (leaf: string, ca: string): GrpcTls => grpcTlsFromConfig(paths(leaf, ca)) as GrpcTls;

makeCa('ca');
makeCa('other-ca');
makeLeaf('server', 'ca');
makeLeaf('client', 'ca');
makeLeaf('stranger', 'other-ca');
makeLeaf('impostor', 'other-ca');

const servers: GrpcServerHandle[] = [];
const clients: EchoClient[] = [];
async function serve(tls: GrpcTls | undefined): Promise<number> {
  const s = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    logger: testLogger,
    services: [{ definition: EchoService, implementation: { echo: grpcHandler<{ text: string }, { text: string }>(async (req) => ({ text: req.text })) } }],
    ...(tls ? { tls } : {}),
  });
  servers.push(s);
  return s.port;
}
function call(port: number, creds: ChannelCredentials): Promise<unknown> {
  const c = new EchoClientCtor(`127.0.0.1:${port}`, creds);
  clients.push(c);
  return callUnary(c.echo.bind(c), { text: 'hello' }, { deadlineMs: 5000 }).catch((e: unknown) => e);
}

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('gRPC mTLS', () => {
  let port: number;
  beforeAll(async () => {
    port = await serve(tlsOf('server', 'ca'));
  });

  it('serves a client holding a certificate from the CA', async () => {
    expect(await call(port, grpcChannelCredentials(tlsOf('client', 'ca')))).toEqual({ text: 'hello' });
  });

  it('refuses a TLS client without a certificate', async () => {
    const err = await call(port, credentials.createSsl(tlsOf('client', 'ca').ca));
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).kind).toBe('unavailable');
  });

  it('refuses a client whose certificate another CA signed', async () => {
    const stranger = tlsOf('stranger', 'other-ca');
    // It trusts our server (our CA), but presents its own CA's certificate.
    const err = await call(port, credentials.createSsl(tlsOf('client', 'ca').ca, stranger.key, stranger.cert));
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).kind).toBe('unavailable');
  });

  it('refuses a plaintext client', async () => {
    const err = await call(port, credentials.createInsecure());
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).kind).toBe('unavailable');
  });

  it('a client does not talk to a server the CA did not sign', async () => {
    const impostor = await serve(tlsOf('impostor', 'other-ca'));
    const err = await call(impostor, grpcChannelCredentials(tlsOf('client', 'ca')));
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).kind).toBe('unavailable');
  });

  it('is plaintext when nothing is configured', async () => {
    expect(grpcTlsFromConfig({})).toBeUndefined();
    const plain = await serve(undefined);
    expect(await call(plain, grpcChannelCredentials(undefined))).toEqual({ text: 'hello' });
  });
});

describe('gRPC TLS settings', () => {
  const base = { DATABASE_URL: 'postgresql://x@127.0.0.1/x', JWT_SECRET: '0123456789abcdef' };

  it('refuses a half-configured setup', () => {
    const { GRPC_TLS_CA, GRPC_TLS_CERT } = paths('client', 'ca');
    expect(() => loadConfig(BaseEnv, { ...base, GRPC_TLS_CA, GRPC_TLS_CERT })).toThrow(
      'GRPC_TLS_KEY required with GRPC_TLS_CA, GRPC_TLS_CERT (gRPC mTLS needs the CA, the certificate and its key)',
    );
    expect(() => loadConfig(BaseEnv, { ...base, GRPC_TLS_CERT })).toThrow(ConfigError);
    expect(loadConfig(BaseEnv, { ...base, ...paths('client', 'ca') }).GRPC_TLS_CERT).toBe(GRPC_TLS_CERT);
  });

  it('names a file it cannot read', () => {
    expect(() => grpcTlsFromConfig({ ...paths('client', 'ca'), GRPC_TLS_KEY: join(dir, 'missing.key') })).toThrow(
      `GRPC_TLS_KEY: cannot read ${join(dir, 'missing.key')} (ENOENT)`,
    );
  });
});
