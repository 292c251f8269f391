// Starts the four built services as real child processes, wired to each other over gRPC and
// to real PostgreSQL, Redis and Kafka, on free ports and under a Kafka topic prefix of their
// own, so this suite runs beside every other suite (and beside `npm run up`) without either
// seeing the other's traffic.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdirSync, mkdtempSync, createWriteStream, readFileSync, rmSync } from 'node:fs';
import pino from 'pino';
import { KafkaBus } from '@sudamall/shared';
import { createSudamallClient, type SudamallClient } from '@sudamall/client';
import { TEST_JWT_SECRET, testToken, testTopicPrefix, createTestTopics, createMigratedDatabase, type TestDatabase } from '@sudamall/shared/testing';

export type ServiceName = 'inventory' | 'cart' | 'order' | 'payment';
export const SERVICES: readonly ServiceName[] = ['inventory', 'cart', 'order', 'payment'];
const ROOT = join(__dirname, '..', '..', '..');
const LOG_DIR = join(ROOT, '.test-results', 'e2e-logs');

const pgUrl = (db: string) => `${process.env.SUDAMALL_PG_BASE_URL ?? 'postgresql://sudamall:sudamall@127.0.0.1:5432'}/${db}`;

export interface PlatformOptions {
  /** The payment window of new orders (order service). */
  paymentWindowSeconds?: number;
  /** Extra environment per service. */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Environment for every service, over the defaults (e.g. a private REDIS_URL for chaos runs). */
  commonEnv?: Record<string, string>;
  /**
   * Give each service a fresh database of its own (migrated from the committed migration SQL,
   * dropped by stop()). Needed by anything that judges the databases: an outbox relay publishes
   * every unpublished row of its database under its own topic prefix, so services of two runs
   * sharing `<svc>_test` publish each other's events to the wrong topics.
   */
  ownDatabases?: boolean;
}

export interface Platform {
  topicPrefix: string;
  httpUrl(service: ServiceName): string;
  /** The PostgreSQL database the service runs on (for checkers that read the databases). */
  databaseUrl(service: ServiceName): string;
  /** The running child's pid, or undefined while the service is stopped. */
  pid(service: ServiceName): number | undefined;
  /** Sends a signal to one service (SIGSTOP / SIGCONT for pauses). */
  signal(service: ServiceName, signal: NodeJS.Signals): void;
  /** Stops one service (SIGTERM by default, SIGKILL for a crash) and waits for it to exit. */
  stopService(service: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped service again on the same ports, database and topics; waits until ready. */
  startService(service: ServiceName): Promise<void>;
  /**
   * A second instance of a service (same database, topics and consumer group, own ports): the
   * replica the peers do not call directly, but which shares the Kafka partitions and the locks.
   */
  startReplica(service: ServiceName): Promise<{ pid: number; httpUrl: string; stop(signal?: NodeJS.Signals): Promise<void> }>;
  stop(): Promise<void>;
}

// Ports handed out by this process: the OS may offer a port again once its probe closed, and
// two services of one run (or a run started just after another) must never share one.
const portsHandedOut = new Set<number>();

/** A port nothing listens on now (the kernel's pick), for a server a test starts. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await probeFreePort();
    if (!portsHandedOut.has(port)) {
      portsHandedOut.add(port);
      return port;
    }
  }
}

async function probeFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(name: string, url: string, child: ChildProcess, timeoutMs = 45_000): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} while starting (log: ${LOG_DIR}/${name}-*.log)`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} not ready after ${timeoutMs} ms (log: ${LOG_DIR})`);
}

export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const topicPrefix = testTopicPrefix();
  const runId = topicPrefix.replace(/\W/g, '');
  const ownDbs: Partial<Record<ServiceName, TestDatabase>> = {};
  const dropOwnDatabases = async () => {
    for (const s of SERVICES) await ownDbs[s]?.drop().catch(() => undefined);
  };
  if (options.ownDatabases) {
    try {
      // Migrated from the committed migration SQL (no Prisma CLI: fast).
      for (const s of SERVICES) {
        ownDbs[s] = await createMigratedDatabase(pgUrl('postgres'), `${s}_e2e_${runId}`, join(ROOT, 'services', s, 'prisma', 'migrations'));
      }
    } catch (err) {
      await dropOwnDatabases();
      throw err;
    }
  }
  const bus = new KafkaBus({
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    clientId: 'e2e-setup',
    logger: pino({ level: 'warn' }),
  });
  await createTestTopics(bus, topicPrefix);
  await bus.disconnect();

  const http: Record<string, number> = {};
  const grpc: Record<string, number> = {};
  for (const s of SERVICES) {
    http[s] = await freePort();
    grpc[s] = await freePort();
  }

  mkdirSync(LOG_DIR, { recursive: true });
  const children = new Map<ServiceName, ChildProcess>();
  const common: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info',
    HTTP_HOST: '127.0.0.1',
    GRPC_HOST: '127.0.0.1',
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    KAFKA_TOPIC_PREFIX: topicPrefix,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    JWT_SECRET: TEST_JWT_SECRET,
    INVENTORY_GRPC_URL: `127.0.0.1:${grpc.inventory}`,
    CART_GRPC_URL: `127.0.0.1:${grpc.cart}`,
    ORDER_GRPC_URL: `127.0.0.1:${grpc.order}`,
    PAYMENT_GRPC_URL: `127.0.0.1:${grpc.payment}`,
    PAYMENT_WINDOW_SECONDS: String(options.paymentWindowSeconds ?? 900),
    PAYMENT_TEST_MODE: 'true',
    ...(options.commonEnv ?? {}),
  };
  const databaseUrl = (s: ServiceName) => options.env?.[s]?.DATABASE_URL ?? ownDbs[s]?.url ?? pgUrl(`${s}_test`);
  // A restarted service appends to the same log file, so one file tells the whole story.
  const replicas: ChildProcess[] = [];
  const spawnService = (s: ServiceName, ports = { http: http[s], grpc: grpc[s] }, logName: string = s): ChildProcess => {
    const log = createWriteStream(join(LOG_DIR, `${logName}-${runId}.log`), { flags: 'a' });
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: join(ROOT, 'services', s),
      env: {
        PATH: process.env.PATH ?? '',
        ...common,
        HTTP_PORT: String(ports.http),
        GRPC_PORT: String(ports.grpc),
        DATABASE_URL: databaseUrl(s),
        ...(options.env?.[s] ?? {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    if (logName === s) children.set(s, child);
    return child;
  };
  const running = (s: ServiceName) => {
    const child = children.get(s);
    return child && child.exitCode === null && child.signalCode === null ? child : undefined;
  };
  try {
    for (const s of SERVICES) spawnService(s);
    await Promise.all(SERVICES.map((s) => waitReady(s, `http://127.0.0.1:${http[s]}`, children.get(s)!)));
  } catch (err) {
    await stopAll(children);
    await dropOwnDatabases();
    throw err;
  }

  return {
    topicPrefix,
    httpUrl: (s) => `http://127.0.0.1:${http[s]}`,
    databaseUrl,
    pid: (s) => running(s)?.pid,
    signal: (s, sig) => {
      running(s)?.kill(sig);
    },
    stopService: async (s, sig = 'SIGTERM') => {
      const child = running(s);
      if (!child) return;
      // A stopped (SIGSTOP) process only acts on SIGTERM once continued.
      if (sig !== 'SIGKILL') child.kill('SIGCONT');
      await stopChild(child, sig);
    },
    startService: async (s) => {
      if (running(s)) throw new Error(`${s} is already running`);
      const child = spawnService(s);
      await waitReady(s, `http://127.0.0.1:${http[s]}`, child);
    },
    startReplica: async (s) => {
      const ports = { http: await freePort(), grpc: await freePort() };
      const child = spawnService(s, ports, `${s}-replica${replicas.length + 1}`);
      replicas.push(child);
      await waitReady(`${s} replica`, `http://127.0.0.1:${ports.http}`, child);
      return {
        pid: child.pid!,
        httpUrl: `http://127.0.0.1:${ports.http}`,
        stop: async (sig: NodeJS.Signals = 'SIGTERM') => {
          if (sig !== 'SIGKILL') child.kill('SIGCONT');
          await stopChild(child, sig);
        },
      };
    },
    stop: async () => {
      for (const r of replicas) if (r.exitCode === null && r.signalCode === null) r.kill('SIGCONT');
      await Promise.all(replicas.map((r) => stopChild(r)));
      await stopAll(children);
      // E2E_KEEP_DATABASES=1 keeps them for a post-mortem.
      if (!process.env.E2E_KEEP_DATABASES) await dropOwnDatabases();
    },
  };
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill(signal);
  });
}

async function stopAll(children: Map<ServiceName, ChildProcess>): Promise<void> {
  // SIGCONT first: a service left paused by a fault scenario would otherwise ignore SIGTERM.
  for (const child of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGCONT');
  await Promise.all([...children.values()].map((child) => stopChild(child)));
}

/**
 * The storefront's typed client (@sudamall/client) for one token, each service at its own port
 * (no gateway in these suites): a call the services' documents do not allow does not compile.
 */
export function platformClient(platform: Platform, token: string): SudamallClient {
  const baseUrl = {
    inventory: platform.httpUrl('inventory'),
    cart: platform.httpUrl('cart'),
    order: platform.httpUrl('order'),
    payment: platform.httpUrl('payment'),
  };
  return createSudamallClient({ baseUrl, token });
}

/**
 * The data of a typed call (`user.api.cart.GET(...)`); fails the test with the answer when its
 * status is not the expected one.
 */
export async function expectStatus<T>(status: number, call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.status !== status) {
    throw new Error(`${response.url}: expected ${status}, got ${response.status} ${JSON.stringify(error ?? data ?? null)}`);
  }
  return data as T;
}

/**
 * One user of the platform: `api` is the storefront's typed client, the way every ordinary call
 * is made; request/expect send whatever they are given (raw fetch), for the suites that probe
 * with requests the documents forbid (fuzz, security, gateway) or reach undocumented endpoints.
 */
export class ApiClient {
  readonly api: SudamallClient;

  constructor(
    private readonly platform: Platform,
    readonly token: string,
  ) {
    this.api = platformClient(platform, token);
  }

  static as(platform: Platform, claims: { sub: string; role: 'buyer' | 'seller' | 'admin'; store_id?: string }): ApiClient {
    return new ApiClient(platform, testToken(claims));
  }

  async request<T = any>(
    service: ServiceName,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.platform.httpUrl(service)}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : (null as T) };
  }

  /** Like request, but fails the test with the response when the status is not the expected one. */
  async expect<T = any>(status: number, service: ServiceName, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const res = await this.request<T>(service, method, path, body, headers);
    if (res.status !== status) {
      throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
    }
    return res.body;
  }
}

export async function eventuallyValue<T>(read: () => Promise<T>, accept: (value: T) => boolean, { timeoutMs = 20_000, intervalMs = 200 } = {}): Promise<T> {
  const started = Date.now();
  let last: T = await read();
  while (!accept(last)) {
    if (Date.now() - started > timeoutMs) {
      throw new Error(`condition not met after ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
    last = await read();
  }
  return last;
}

const GATEWAY_SH = join(ROOT, 'scripts', 'lib', 'gateway.sh');

export interface Gateway {
  /** http://127.0.0.1:<port>: the one base URL, routed like production. */
  url: string;
  port: number;
  /** Its own folder (config, pid, logs); gone after stop(). */
  runDir: string;
  /** nginx's access log so far (one line a request, naming the upstream that answered). */
  accessLog(): string;
  stop(): void;
}

/**
 * The API gateway in front of a platform: Debian's nginx running infra/docker/nginx.conf, rendered
 * by scripts/lib/gateway.sh exactly as `npm run up` does, on a free port of its own.
 */
export async function startGateway(platform: Platform, name = 'gateway'): Promise<Gateway> {
  const runDir = mkdtempSync(join(tmpdir(), `sudamall-${name}-`));
  const conf = join(runDir, 'nginx.conf');
  const port = await freePort();
  const upstream = (s: ServiceName) => `127.0.0.1:${new URL(platform.httpUrl(s)).port}`;
  execFileSync('bash', [
    GATEWAY_SH,
    'render',
    conf,
    runDir,
    `127.0.0.1:${port}`,
    upstream('inventory'),
    upstream('cart'),
    upstream('order'),
    upstream('payment'),
  ]);
  execFileSync('bash', [GATEWAY_SH, 'start', conf]);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    runDir,
    accessLog: () => readFileSync(join(runDir, 'nginx-access.log'), 'utf8'),
    stop() {
      try {
        execFileSync('bash', [GATEWAY_SH, 'stop', conf]);
      } catch {
        // not running
      }
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}
