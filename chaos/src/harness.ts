// What every chaos scenario shares: a platform of its own (the four built services on free
// ports, their own databases, their own Kafka topic prefix, their own Redis server), a steady
// stream of checkouts with random payment outcomes, and the invariant checker's verdict printed
// with what the scenario did and measured. Loopback only; nothing here touches the shared Redis
// or another run's topics and databases.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { startPlatform, type Platform, type PlatformOptions } from '../../tests/e2e/test/platform';
import { Caller, formatLoad, listHotProducts, runCheckouts, sleep, type HotProduct, type LoadOptions, type LoadResult } from '../../tests/e2e/test/load';
import { formatReport, settleAndCheck, type InvariantDatabases, type InvariantReport } from '../../tests/e2e/test/invariants';

export { sleep };
export const ROOT = join(__dirname, '..', '..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function sh(cmd: string, args: string[], timeoutMs = 120_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, cwd: ROOT }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

/** A redis-server of the run's own on a free loopback port: pausing or killing it harms nobody else. */
export class PrivateRedis {
  private child?: ChildProcess;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivateRedis> {
    const dir = join(ROOT, '.local', 'chaos', `redis-${randomUUID().slice(0, 8)}`);
    mkdirSync(dir, { recursive: true });
    const redis = new PrivateRedis(await freePort(), dir);
    await redis.up();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 100; i++) {
      if ((await this.cli('ping')).out.includes('PONG')) return;
      await sleep(100);
    }
    throw new Error(`private redis on ${this.port} did not start`);
  }

  cli(...args: string[]) {
    return sh('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), ...args], 10_000);
  }

  /** Stops it for good and removes its folder. */
  async remove(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Takes it away at once (SIGKILL: no goodbye to the clients). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

const PG_BIN = process.env.SUDAMALL_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL server of the run's own (initdb into a fresh folder, a free loopback port, the
 * `sudamall` role): restarting it harms nobody else. The server refuses to run as root, so
 * when we are root it runs as the `postgres` user, which owns its folder.
 */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const dir = join('/tmp', `sudamall-chaos-pg-${randomUUID().slice(0, 8)}`);
    mkdirSync(dir, { recursive: true });
    const pg = new PrivatePostgres(await freePort(), dir);
    if (process.getuid?.() === 0) await sh('chown', ['postgres:postgres', dir]);
    const init = await pg.asOwner(join(PG_BIN, 'initdb'), ['-D', join(dir, 'data'), '-U', 'sudamall', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    if (init.code !== 0) throw new Error(`initdb failed: ${init.out}`);
    await pg.up();
    return pg;
  }

  /** The base URL the platform builds database URLs from (SUDAMALL_PG_BASE_URL). */
  get baseUrl(): string {
    return `postgresql://sudamall:sudamall@127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    // Clean shutdowns only (restart = fast stop + start): durability settings cost time for nothing.
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.dir} -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    const r = await this.asOwner(
      join(PG_BIN, 'pg_ctl'),
      ['-D', join(this.dir, 'data'), '-l', join(this.dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start'],
      90_000,
    );
    if (r.code !== 0) throw new Error(`private postgres on ${this.port} did not start: ${r.out}`);
  }

  /** A fast shutdown: every connection is ended by the server, as in a real restart or failover. */
  async down(): Promise<void> {
    await this.asOwner(join(PG_BIN, 'pg_ctl'), ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', '-t', '60', 'stop'], 90_000);
  }

  async restart(downForMs = 0): Promise<void> {
    await this.down();
    if (downForMs > 0) await sleep(downForMs);
    await this.up();
  }

  async remove(): Promise<void> {
    await this.asOwner(join(PG_BIN, 'pg_ctl'), ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop'], 60_000);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private asOwner(cmd: string, args: string[], timeoutMs?: number) {
    return process.getuid?.() === 0 ? sh('runuser', ['-u', 'postgres', '--', cmd, ...args], timeoutMs) : sh(cmd, args, timeoutMs);
  }
}

export interface ChaosRunOptions extends PlatformOptions {
  /** Stock per stock row of the hot products (small: contention on purpose). */
  stockPerRow?: number;
  /** Run every database on a PostgreSQL server of the run's own (to restart it). */
  privatePostgres?: boolean;
  /**
   * List one more product with this much stock, which the load never buys: probe checkouts made
   * during a fault then test the fault, not whether the hot products have sold out yet.
   */
  probeStock?: number;
}

export interface ChaosRun {
  name: string;
  platform: Platform;
  redis: PrivateRedis;
  /** Set with `privatePostgres`: the server every database of this run lives on. */
  postgres?: PrivatePostgres;
  products: HotProduct[];
  /** With `probeStock`: the product the load leaves alone (in the checker's scope too). */
  probeProduct?: HotProduct;
  dbs: InvariantDatabases;
  orderIds: Set<string>;
  /** The steady checkout stream, running in the background until durationMs. */
  startLoad(opts: Partial<Omit<LoadOptions, 'platform' | 'products'>> & { durationMs: number }): Promise<LoadResult>;
  /** Orders not yet terminal right now (to show a fault really lands mid-saga). */
  inFlight(): Promise<Record<string, number>>;
  query<T extends Record<string, unknown>>(service: keyof InvariantDatabases, sql: string, params?: unknown[]): Promise<T[]>;
  say(message: string): void;
  /** Waits for things to settle (≤ timeoutMs), runs the checker and prints the verdict. */
  verdict(load: LoadResult | LoadResult[], measured: Record<string, unknown>, timeoutMs?: number): Promise<InvariantReport & { settledAfterMs: number }>;
  close(): Promise<void>;
}

export async function startChaosRun(name: string, options: ChaosRunOptions = {}): Promise<ChaosRun> {
  const say = (message: string) => process.stdout.write(`[chaos:${name}] ${message}\n`);
  const t0 = Date.now();
  const redis = await PrivateRedis.start();
  const postgres = options.privatePostgres ? await PrivatePostgres.start() : undefined;
  // The platform builds every database URL (services, checker) from this base, at call time.
  const sharedPgBase = process.env.SUDAMALL_PG_BASE_URL;
  if (postgres) process.env.SUDAMALL_PG_BASE_URL = postgres.baseUrl;
  const platform = await startPlatform({
    paymentWindowSeconds: 10,
    ownDatabases: true,
    ...options,
    env: {
      ...options.env,
      // A charge cut short by a crash is settled from the gateway or resumed by payment's recovery
      // sweep once stale: seconds here instead of the production 90 s, so a scenario sees it happen.
      // The window must outlast the gateway clients' longest call (payment refuses it otherwise).
      payment: {
        PAYMENT_STALE_PROCESSING_SECONDS: '10',
        STRIPE_TIMEOUT_MS: '3000',
        STRIPE_MAX_NETWORK_RETRIES: '1',
        PAYPAL_TIMEOUT_MS: '3000',
        PAYMENT_REFUND_RETRY_SECONDS: '5',
        ...(options.env?.payment ?? {}),
      },
    },
    commonEnv: { REDIS_URL: redis.url, LOG_LEVEL: 'info', ...(options.commonEnv ?? {}) },
  });
  const seller = new Caller(platform, { sub: `seller-${randomUUID()}`, role: 'seller', store_id: `store-${randomUUID().slice(0, 8)}` });
  const qty = options.stockPerRow ?? 40;
  const products = await listHotProducts(platform, seller, [
    { quantity: qty },
    { quantity: qty, price: '19.99' },
    { quantity: qty, sizes: ['S', 'M'], price: '24.50' },
  ]);
  const [probeProduct] = options.probeStock ? await listHotProducts(platform, seller, [{ quantity: options.probeStock }]) : [];
  const dbs: InvariantDatabases = {
    inventory: platform.databaseUrl('inventory'),
    order: platform.databaseUrl('order'),
    payment: platform.databaseUrl('payment'),
    cart: platform.databaseUrl('cart'),
  };
  const orderIds = new Set<string>();
  say(
    `platform up in ${Date.now() - t0} ms (prefix ${platform.topicPrefix}, private redis :${redis.port}, ${postgres ? `private postgres :${postgres.port}` : 'own databases'}), ${products.length} hot products × ${qty} units per row`,
  );

  const query = async <T extends Record<string, unknown>>(service: keyof InvariantDatabases, sql: string, params: unknown[] = []) => {
    const c = new Client({ connectionString: dbs[service] });
    await c.connect();
    try {
      return (await c.query<T>(sql, params)).rows;
    } finally {
      await c.end();
    }
  };

  return {
    name,
    platform,
    redis,
    postgres,
    products,
    probeProduct,
    dbs,
    orderIds,
    say,
    query,
    startLoad: (opts) => runCheckouts({ platform, products, concurrency: 8, ...opts, onOrder: (id) => orderIds.add(id) }),
    inFlight: async () => {
      const rows = await query<{ status: string; n: number }>(
        'order',
        `SELECT status::text, count(*)::int AS n FROM orders WHERE status IN ('pending', 'under_paying') GROUP BY 1`,
      );
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    },
    verdict: async (load, measured, timeoutMs = 90_000) => {
      for (const l of Array.isArray(load) ? load : [load]) say(`load: ${formatLoad(l).replace(/\n/g, '\n      ')}`);
      say(`measured: ${JSON.stringify(measured)}`);
      const report = await settleAndCheck(
        dbs,
        { productIds: [...products, ...(probeProduct ? [probeProduct] : [])].map((p) => p.id), orderIds: [...orderIds] },
        { requireTerminal: true, timeoutMs, settleGraceSeconds: 15, expiryGraceSeconds: 20 },
      );
      say(`settled after ${report.settledAfterMs} ms; ${formatReport(report, 5).replace(/\n/g, '\n      ')}`);
      return report;
    },
    close: async () => {
      await platform.stop();
      await redis.remove();
      if (postgres) {
        await postgres.remove();
        if (sharedPgBase === undefined) delete process.env.SUDAMALL_PG_BASE_URL;
        else process.env.SUDAMALL_PG_BASE_URL = sharedPgBase;
      }
    },
  };
}
