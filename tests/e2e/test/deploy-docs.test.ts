// Configuration comes only from the environment, documented per service: every variable a
// service's src/config.ts schema reads (and the shared BaseEnv every service spreads in) has
// its row in docs/deploy.md, so a new setting cannot ship undocumented.
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
