import { Server, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { setGrpcHandlerLogger } from './errors';
import { grpcServerCredentials, type GrpcTls } from './tls';

export interface GrpcServiceBinding {
  // ts-proto's generated `XxxService` definitions and their typed implementations (its
  // `XxxServiceServer` interfaces extend UntypedServiceImplementation).
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
  /** Health-check name; defaults to the fully qualified service name from the definition. */
  name?: string;
}

export interface GrpcServerOptions {
  host: string;
  /** 0 picks a free port (tests); the bound port is returned. */
  port: number;
  services: GrpcServiceBinding[];
  logger: Logger;
  /** How long close() waits for in-flight calls before cutting them off. */
  shutdownTimeoutMs?: number;
  /** mTLS (grpcTlsFromConfig): only clients with a certificate from the CA get through. Plaintext when absent. */
  tls?: GrpcTls | undefined;
}

export interface GrpcServerHandle {
  server: Server;
  port: number;
  /** Flips the overall ("") and every service's health status (SERVING / NOT_SERVING). */
  setServing(serving: boolean): void;
  close(): Promise<void>;
}

/** `/sudamall.inventory.v1.InventoryService/Reserve` → `sudamall.inventory.v1.InventoryService`. */
export function serviceNameOf(definition: ServiceDefinition<unknown>): string {
  const first = Object.values(definition)[0] as { path?: string } | undefined;
  const path = first?.path ?? '';
  return path.split('/')[1] ?? '';
}

export async function startGrpcServer(opts: GrpcServerOptions): Promise<GrpcServerHandle> {
  setGrpcHandlerLogger(opts.logger);
  const server = new Server();
  const names = opts.services.map((s) => s.name ?? serviceNameOf(s.definition)).filter((n) => n.length > 0);
  const health = new HealthImplementation(Object.fromEntries(['', ...names].map((n) => [n, 'NOT_SERVING' as const])));
  health.addToServer(server);
  for (const s of opts.services) server.addService(s.definition, s.implementation);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${opts.host}:${opts.port}`, grpcServerCredentials(opts.tls), (err, bound) => (err ? reject(err) : resolve(bound)));
  });

  const setServing = (serving: boolean) => {
    const status = serving ? 'SERVING' : 'NOT_SERVING';
    health.setStatus('', status);
    for (const n of names) health.setStatus(n, status);
  };
  setServing(true);
  opts.logger.info({ port, services: names, mtls: opts.tls !== undefined }, 'grpc server listening');

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      setServing(false);
      const timer = setTimeout(() => {
        opts.logger.warn('grpc server did not drain in time; forcing shutdown');
        server.forceShutdown();
        resolve();
      }, opts.shutdownTimeoutMs ?? 5000);
      timer.unref();
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return closed;
  };

  return { server, port, setServing, close };
}
