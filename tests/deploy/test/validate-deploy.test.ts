// Every deployment description, checked by the tools a platform team would run, through
// scripts/lib/validate-deploy.sh (one check per test, so a failure names what is wrong):
//   - docker-compose.yml passes `docker compose config` (Compose v2 built from its Go module),
//     and each service's compose environment loads through that service's own config schema;
//   - each kustomize overlay builds, every resource passes kubeconform -strict against the
//     Kubernetes schemas, and each Deployment's environment loads through its config schema;
//   - the gateway's nginx configuration passes nginx -t and routes exactly like the Ingress.
// The validators are installed once per machine (cached); scripts/test.sh starts that install
// in the background early, and the first test here waits for it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'lib', 'validate-deploy.sh');

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

  test('an invalid overlay is refused (the check can fail)', () => {
    const { status, output } = validate('k8s', 'no-such-overlay');
    expect(status).not.toBe(0);
    expect(output).toMatch(/kustomize build overlays\/no-such-overlay/);
  });
});
