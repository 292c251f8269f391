// An outside fuzzer against the contract: schemathesis (PyPI, pinned in
// scripts/lib/schemathesis-requirements.txt, installed by scripts/lib/schemathesis.sh) runs every
// service's OpenAPI document THROUGH THE REAL GATEWAY (Debian's nginx with infra/docker/nginx.conf,
// as in gateway.test.ts) with a buyer's, a seller's and an admin's token, all four phases
// (examples, coverage, fuzzing, stateful) and every check, from a fixed seed. Every run must
// end with zero failures; the few checks deliberately not met are in ONE file,
// tests/e2e/schemathesis.toml, each with its reason. A failing run fails this test with
// schemathesis's own report (the failing request as a curl command, the response, the check).
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testToken } from '@sudamall/shared/testing';
import { startPlatform, type Platform, type ServiceName, startGateway, type Gateway } from './platform';

const ROOT = join(__dirname, '..', '..', '..');
const SCHEMATHESIS_SH = join(ROOT, 'scripts', 'lib', 'schemathesis.sh');
const CONFIG = join(__dirname, '..', 'schemathesis.toml');
const REPORTS = join(process.env.TEST_RESULTS_DIR ?? join(ROOT, '.test-results'), 'schemathesis');
// One seed for every run: CI fuzzes the same cases each time, so a failure reproduces.
const SEED = 20261207;

type Role = 'buyer' | 'seller' | 'admin';

/**
 * Who fuzzes what, with how many cases per operation (the budget: ~6 minutes for all of it on a
 * 2-core CI machine). Every service sees all three roles: a route one role may not use answers
 * it 403, which is part of the contract too; the role that reaches the most of a service's
 * routes gets the most cases.
 */
const RUNS: Array<{ service: ServiceName; doc: string; role: Role; maxExamples: number }> = [
  { service: 'inventory', doc: '/api/v1/products/openapi.json', role: 'seller', maxExamples: 40 },
  { service: 'inventory', doc: '/api/v1/products/openapi.json', role: 'buyer', maxExamples: 8 },
  { service: 'inventory', doc: '/api/v1/products/openapi.json', role: 'admin', maxExamples: 8 },
  { service: 'cart', doc: '/api/v1/carts/openapi.json', role: 'buyer', maxExamples: 40 },
  { service: 'cart', doc: '/api/v1/carts/openapi.json', role: 'seller', maxExamples: 8 },
  { service: 'cart', doc: '/api/v1/carts/openapi.json', role: 'admin', maxExamples: 8 },
  { service: 'order', doc: '/api/v1/orders/openapi.json', role: 'buyer', maxExamples: 30 },
  { service: 'order', doc: '/api/v1/orders/openapi.json', role: 'seller', maxExamples: 8 },
  { service: 'order', doc: '/api/v1/orders/openapi.json', role: 'admin', maxExamples: 25 },
  { service: 'payment', doc: '/api/v1/payments/openapi.json', role: 'buyer', maxExamples: 30 },
  { service: 'payment', doc: '/api/v1/payments/openapi.json', role: 'seller', maxExamples: 8 },
  { service: 'payment', doc: '/api/v1/payments/openapi.json', role: 'admin', maxExamples: 20 },
];

let platform: Platform;
let gateway: Gateway;
let schemathesis: string;
const tokens = {} as Record<Role, string>;
const store = `store-${randomUUID().slice(0, 8)}`;

async function call(role: Role, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[role]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`seeding: ${method} ${path} answered ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

beforeAll(async () => {
  // The venv is normally ready (scripts/test.sh installs it in the background); this waits for
  // that install, or does it, and prints where the binary is.
  schemathesis = execFileSync('bash', [SCHEMATHESIS_SH, '--bin'], { encoding: 'utf8' }).trim();
  // Own databases: the fuzzer writes thousands of odd rows no other suite should meet. No
  // RATE_LIMIT_MAX: off under NODE_ENV=test, so no case is turned away with 429 (declared on every
  // operation anyway; rate-limit.test.ts covers the limit).
  platform = await startPlatform({ ownDatabases: true });
  gateway = await startGateway(platform, 'schemathesis');

  // Long enough for the whole run (testToken's default is an hour: plenty).
  tokens.buyer = testToken({ sub: `buyer-${randomUUID()}`, role: 'buyer' });
  tokens.seller = testToken({ sub: `seller-${randomUUID()}`, role: 'seller', store_id: store });
  tokens.admin = testToken({ sub: `admin-${randomUUID()}`, role: 'admin' });

  // A little data, so that reads find something and the stateful phase has ids to start from:
  // the seller's product in stock (one sized, one not), the buyer's cart with both in it.
  const base = { product_description: 'seeded for schemathesis', color: 'black', brand: 'Sudamall', category: 'test' };
  const mug = await call('seller', 'POST', '/api/v1/products/', {
    ...base,
    product_name: 'Fuzz mug',
    price: '12.50',
    has_sizes: false,
    available_quantity: 50,
  });
  const shirt = await call('seller', 'POST', '/api/v1/products/', {
    ...base,
    product_name: 'Fuzz shirt',
    price: '19.99',
    has_sizes: true,
    sizes: [{ size: 'M', available_quantity: 50 }],
  });
  await call('buyer', 'POST', '/api/v1/carts/add/', { product_id: mug.id, quantity: 2 });
  await call('buyer', 'POST', '/api/v1/carts/add/', { product_id: shirt.id, quantity: 1, size: 'M' });
  mkdirSync(REPORTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  gateway?.stop();
  await platform?.stop();
});

/** Runs schemathesis once; resolves with its exit code and everything it printed. */
function runSchemathesis(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(schemathesis, args, {
      cwd: gateway.runDir,
      env: { ...process.env, NO_COLOR: '1', COLUMNS: '160', PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

test.each(RUNS)(
  'schemathesis: $service as $role ($maxExamples cases per operation) finds nothing',
  async ({ service, doc, role, maxExamples }) => {
    const name = `${service}-${role}`;
    const { code, output } = await runSchemathesis([
      '--config-file',
      CONFIG,
      'run',
      `${gateway.url}${doc}`,
      '--phases',
      'examples,coverage,fuzzing,stateful',
      // Every check runs (schemathesis's default is all of them): `--checks all` here would also
      // override the per-operation exclusions of schemathesis.toml, so it is left to the default.
      '--header',
      `Authorization: Bearer ${tokens[role]}`,
      '--max-examples',
      String(maxExamples),
      '--seed',
      String(SEED),
      // One worker: hypothesis describes strategies with ast.parse, which CPython 3.11 does not
      // survive from two threads at once ("AST constructor recursion depth mismatch").
      '--workers',
      '1',
      '--no-color',
      '--report',
      'junit',
      '--report-junit-path',
      join(REPORTS, `${name}.xml`),
    ]);
    writeFileSync(join(REPORTS, `${name}.log`), output);
    // The report is the failure message: the failing cases with their curl reproduction.
    if (code !== 0) throw new Error(`schemathesis exited ${code} for ${service} as ${role} (full log: ${join(REPORTS, `${name}.log`)}):\n\n${output}`);
    // (Its summary, e.g. "Test cases: 1234 generated, 1234 passed", is in the log kept above.)
    expect(output).toMatch(/No issues found|passed/);
  },
  600_000,
);
