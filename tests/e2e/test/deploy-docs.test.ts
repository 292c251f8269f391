// Configuration comes only from the environment, documented per service: every variable a
// service's src/config.ts schema reads (and the shared BaseEnv every service spreads in) has
// its row in docs/deploy.md, so a new setting cannot ship undocumented.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const docs = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');

/** Property names of the TypeBox env schema in a config.ts (`  NAME: Type.…`). */
function envNames(file: string): string[] {
  const names = [...readFileSync(file, 'utf8').matchAll(/^\s+([A-Z][A-Z0-9_]*)\s*:\s*Type\./gm)].map((m) => m[1]);
  return [...new Set(names)];
}

test.each([
  ['shared BaseEnv', join(ROOT, 'packages', 'shared', 'src', 'config.ts')],
  ['inventory', join(ROOT, 'services', 'inventory', 'src', 'config.ts')],
  ['cart', join(ROOT, 'services', 'cart', 'src', 'config.ts')],
  ['order', join(ROOT, 'services', 'order', 'src', 'config.ts')],
  ['payment', join(ROOT, 'services', 'payment', 'src', 'config.ts')],
])('docs/deploy.md documents every variable of %s', (_name, file) => {
  const names = envNames(file);
  expect(names.length).toBeGreaterThan(0);
  expect(names.filter((n) => !docs.includes(`\`${n}\``))).toEqual([]);
});

// The gateway (compose, `npm run up`) and the k8s Ingress are two descriptions of one routing
// table; the full deploy validation (scripts/lib/validate-deploy.sh) needs tools installed,
// this part only needs the two files.
test('the gateway and the Ingress route the same prefixes to the same services', () => {
  const out = execFileSync(
    process.execPath,
    [
      join(ROOT, 'scripts', 'lib', 'check-deploy-env.js'),
      'routes',
      join(ROOT, 'infra', 'docker', 'nginx.conf'),
      join(ROOT, 'infra', 'k8s', 'base', 'ingress.yaml'),
    ],
    { encoding: 'utf8' },
  );
  expect(out).toContain('routes: 10 gateway prefixes, 10 Ingress prefixes');
});
