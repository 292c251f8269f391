// mTLS for the services' gRPC: one CA, one certificate per service (its Service DNS name in the
// SAN, usable for both serverAuth and clientAuth), used by its server and by its clients.
import { readFileSync } from 'node:fs';
import { credentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { ConfigError } from '../config';

/** PEM contents: the CA that signs every service's certificate, and this service's own pair. */
export interface GrpcTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export interface GrpcTlsEnv {
  GRPC_TLS_CA?: string | undefined;
  GRPC_TLS_CERT?: string | undefined;
  GRPC_TLS_KEY?: string | undefined;
}

/**
 * Reads the three PEM files named by the config once, at start; undefined (plaintext) when
 * none is set (loadConfig has already refused a half setup). An unreadable file stops the
 * service with a ConfigError naming it, instead of a handshake failure at the first call.
 */
export function grpcTlsFromConfig(config: GrpcTlsEnv): GrpcTls | undefined {
  const { GRPC_TLS_CA: ca, GRPC_TLS_CERT: cert, GRPC_TLS_KEY: key } = config;
  if (ca === undefined && cert === undefined && key === undefined) return undefined;
  const problems: string[] = [];
  const read = (name: string, path: string | undefined): Buffer => {
    if (path === undefined) {
      problems.push(`${name} is required with the other GRPC_TLS_* variables`);
      return Buffer.alloc(0);
    }
    try {
      return readFileSync(path);
    } catch (err) {
      problems.push(`${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      return Buffer.alloc(0);
    }
  };
  const tls = { ca: read('GRPC_TLS_CA', ca), cert: read('GRPC_TLS_CERT', cert), key: read('GRPC_TLS_KEY', key) };
  if (problems.length > 0) throw new ConfigError(problems);
  return tls;
}

/** A server that only completes the handshake with a client certificate signed by the CA. */
export function grpcServerCredentials(tls: GrpcTls | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(tls.ca, [{ private_key: tls.key, cert_chain: tls.cert }], true);
}

/** A client that presents this service's certificate and trusts only servers the CA signed. */
export function grpcChannelCredentials(tls: GrpcTls | undefined): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  return credentials.createSsl(tls.ca, tls.key, tls.cert);
}
