// Every deployment description, checked by the tools a platform team would run, through
// scripts/lib/validate-deploy.sh (one check per test, so a failure names what is wrong):
//   - docker-compose.yml passes `docker compose config` (Compose v2 built from its Go module),
//     and each service's compose environment loads through that service's own config schema;
//   - each kustomize overlay builds, every resource passes kubeconform -strict against the
//     Kubernetes schemas, and each Deployment's environment loads through its config schema;
//   - the gateway's nginx configuration passes nginx -t and routes exactly like the Ingress;
//   - each service's Dockerfile is generated from the one template and passes BuildKit's checks.
// The validators are installed once per machine (cached); scripts/test.sh starts that install
// in the background early, and the first test here waits for it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'lib', 'validate-deploy.sh');
const TOOLS_BIN = join(process.env.SUDAMALL_TOOLS ?? join(homedir(), '.cache', 'sudamall', 'deploy-tools'), 'bin');
const SERVICES = ['inventory', 'cart', 'order', 'payment'] as const;

function validate(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync('bash', [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  return { status: r.status, output };
}

function expectValid(...args: string[]): string {
  const { status, output } = validate(...args);
  if (status !== 0) throw new Error(`validate-deploy.sh ${args.join(' ')} exited ${status}:\n${output.slice(-4000)}`);
  return output;
}

describe('deployment descriptions', () => {
  beforeAll(() => {
    expectValid('--install');
  });

  test('docker-compose.yml passes docker compose config, and every service would start with its environment', () => {
    const out = expectValid('compose');
    expect(out).toContain('compose: docker compose config');
  });

  test.each(['dev', 'prod'])('infra/k8s overlays/%s builds with kustomize and every resource passes kubeconform -strict', (overlay) => {
    const out = expectValid('k8s', overlay);
    // Every resource was checked against a schema: none skipped, none invalid.
    const summary = /Valid: (\d+), Invalid: 0, Errors: 0, Skipped: 0/.exec(out);
    expect(summary).not.toBeNull();
    // Four services × (Deployment, Service, ConfigMap, HPA, PDB, migration Job) at least, + Ingress.
    expect(Number(summary![1])).toBeGreaterThanOrEqual(25);
  });

  test('the gateway configuration passes nginx -t and routes like the Ingress', () => {
    expectValid('gateway');
  });

  test("each service has its own Dockerfile, generated from the template, passing BuildKit's Dockerfile checks", () => {
    const out = expectValid('dockerfiles');
    expect(out).toContain('dockerfile-check: 4 Dockerfile(s), no finding');
  });

  test.each(SERVICES)('services/%s/Dockerfile: multi-stage, production dependencies only, non-root, migrations not at start', (service) => {
    const dockerfile = readFileSync(join(ROOT, 'services', service, 'Dockerfile'), 'utf8');
    const instructions = dockerfile.split('\n').filter((l) => /^[A-Z]+\s/.test(l));
    expect(instructions.filter((l) => l.startsWith('FROM ')).map((l) => l.split(/\s+/).pop())).toEqual(['build', 'prod-deps', 'runtime']);
    // Only this service's workspace is built and installed; no other service's code is copied.
    for (const other of SERVICES.filter((s) => s !== service)) expect(dockerfile).not.toContain(`services/${other}`);
    expect(dockerfile).toContain(`npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace @sudamall/${service}`);
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    expect(runtime).toMatch(/^USER 1000:1000$/m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
    expect(runtime).not.toMatch(/^(RUN|CMD|ENTRYPOINT) .*migrate/m);
    const config = readFileSync(join(ROOT, 'services', service, 'src', 'config.ts'), 'utf8');
    const port = (name: string) => new RegExp(`${name}: Type\\.Integer\\(\\{ default: (\\d+)`).exec(config)![1];
    expect(runtime).toContain(`EXPOSE ${port('HTTP_PORT')} ${port('GRPC_PORT')}`);
  });

  test("a Dockerfile that breaks BuildKit's rules is refused (the check can fail)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'dockerfile-check-'));
    const file = join(dir, 'Dockerfile');
    writeFileSync(file, 'FROM node:20 as build\nCMD node dist/main.js\n');
    const r = spawnSync(join(TOOLS_BIN, 'dockerfile-check'), [file], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/:1: FromAsCasing:/);
    expect(r.stdout).toMatch(/:2: JSONArgsRecommended:/);
  });

  test('an invalid overlay is refused (the check can fail)', () => {
    const { status, output } = validate('k8s', 'no-such-overlay');
    expect(status).not.toBe(0);
    expect(output).toMatch(/kustomize build overlays\/no-such-overlay/);
  });
});
