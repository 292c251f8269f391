// The Prisma pairing the README documents ("Prisma versions"): the CLI and the client on the 6.19
// line, the pg driver adapter on 7.x from 7.6.0. They must differ: Prisma 7's CLI needs a native
// schema engine it cannot download here, adapter-pg 6.19 cannot read PostgreSQL's `name` column
// type (every migration fails), and only adapter-pg >= 7.6.0 takes the statementNameGenerator
// the services name their prepared statements with (@sudamall/shared prismaStatementNames).
// This file fails when a bump breaks the pairing: versions pinned or installed apart, a client
// off 6.19, an adapter off 7.x or without statement names, or an adapter the client refuses.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PrismaPg as PrismaPgClass } from '@prisma/adapter-pg';

const ROOT = join(__dirname, '..', '..', '..');
const SERVICES = ['cart', 'inventory', 'order', 'payment'] as const;
const PACKAGES = ['prisma', '@prisma/client', '@prisma/adapter-pg'] as const;
const DATABASE_URL = process.env.DATABASE_URL_CART_TEST ?? 'postgresql://sudamall:sudamall@127.0.0.1:5432/cart_test';

type Pins = Record<(typeof PACKAGES)[number], string>;

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function pinsOf(service: string): Pins {
  const pkg = readJson(join(ROOT, 'services', service, 'package.json')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  const all = { ...pkg.dependencies, ...pkg.devDependencies };
  return Object.fromEntries(PACKAGES.map((p) => [p, all[p]])) as Pins;
}

/** The version node finds for `name` from the service's folder (its node_modules, then upwards): what the service runs with. */
function installedFrom(service: string, name: string): string {
  for (let dir = join(ROOT, 'services', service); ; dir = dirname(dir)) {
    const file = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(file)) return (readJson(file) as { version: string }).version;
    if (dirname(dir) === dir) throw new Error(`${name} is not installed for ${service}`);
  }
}

function semver(v: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
  if (!m) throw new Error(`not an exact version: ${v}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

describe.each(SERVICES)('%s', (service) => {
  const pins = pinsOf(service);

  it('pins the three packages exactly, the CLI and the client to one version', () => {
    for (const p of PACKAGES) expect(`${p}@${pins[p]}`).toMatch(/@\d+\.\d+\.\d+$/);
    expect(pins['@prisma/client']).toBe(pins.prisma);
  });

  it('pins the documented pairing: client 6.19.x, adapter-pg 7.x from 7.6.0', () => {
    const [cMajor, cMinor] = semver(pins['@prisma/client']);
    expect(`${cMajor}.${cMinor}`).toBe('6.19');
    const [aMajor, aMinor] = semver(pins['@prisma/adapter-pg']);
    expect(aMajor).toBe(7);
    expect(aMinor).toBeGreaterThanOrEqual(6);
  });

  it('runs with what it pins (node_modules agrees with package.json)', () => {
    for (const p of PACKAGES) expect({ [p]: installedFrom(service, p) }).toEqual({ [p]: pins[p] });
  });
});

it('the four services pin the same versions', () => {
  const [first, ...rest] = SERVICES.map(pinsOf);
  for (const pins of rest) expect(pins).toEqual(first);
});

it('the 6.19 client accepts the 7.x adapter: queries, an interactive transaction and named statements through it', async () => {
  const from = { paths: [join(ROOT, 'services', 'cart')] };
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- because the adapter is resolved from the service's folder, as the service loads it
  const { PrismaPg } = require(require.resolve('@prisma/adapter-pg', from)) as { PrismaPg: typeof PrismaPgClass };
  // cart's generated client, built (tests/deploy depends on the services: turbo builds them first).
  const clientFile = join(ROOT, 'services', 'cart', 'dist', 'generated', 'prisma', 'client.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- because the generated client exists only once cart is built
  const { PrismaClient } = require(clientFile) as { PrismaClient: new (opts: { adapter: unknown }) => PrismaLike };

  const named: string[] = [];
  const adapter = new PrismaPg(
    { connectionString: DATABASE_URL, max: 1 },
    {
      statementNameGenerator: (query) => {
        named.push(query.sql);
        return `pairing_${named.length}`;
      },
    },
  );
  // What the client checks of an adapter before using it: the provider its schema names.
  expect({ adapterName: adapter.adapterName, provider: adapter.provider }).toEqual({ adapterName: '@prisma/adapter-pg', provider: 'postgres' });

  const prisma = new PrismaClient({ adapter });
  try {
    const rows = await prisma.$queryRaw`SELECT ${41}::int + 1 AS answer`;
    expect(rows).toEqual([{ answer: 42 }]);
    const inTx = await prisma.$transaction(async (tx) => tx.$queryRaw`SELECT current_setting('transaction_isolation') AS level, ${'x'}::text AS arg`);
    expect(inTx).toEqual([{ level: 'read committed', arg: 'x' }]);
    expect(named).toEqual(expect.arrayContaining([expect.stringContaining('answer'), expect.stringContaining('transaction_isolation')]));
  } finally {
    await prisma.$disconnect();
  }
});

interface PrismaLike {
  $queryRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<unknown>;
  $transaction<T>(fn: (tx: PrismaLike) => Promise<T>): Promise<T>;
  $disconnect(): Promise<void>;
}
