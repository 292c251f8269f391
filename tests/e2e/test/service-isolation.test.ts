// Each service builds, tests and ships on its own: it imports no other service's code (only
// packages/*), depends on no other service's package, carries its own version, and
// `turbo run build test --filter=@sudamall/<service>...` touches only it and packages/*.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const SERVICES = ['inventory', 'cart', 'order', 'payment'] as const;
const SOURCE = /\.(ts|js|cjs|mjs)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'generated', 'gen']);

function sourceFiles(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!SKIP_DIRS.has(name)) out = out.concat(sourceFiles(path));
    } else if (SOURCE.test(name)) out.push(path);
  }
  return out;
}

/** Every module specifier in a file: import/export ... from, import(), require(). */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)) found.push(m[1]);
  return found;
}

describe.each(SERVICES)('%s', (service) => {
  const dir = join(ROOT, 'services', service);
  const others = SERVICES.filter((s) => s !== service);

  test('imports no other service, by package name or by path', () => {
    const offending: string[] = [];
    for (const file of sourceFiles(dir).filter((f) => !f.includes(`${join(dir, 'node_modules')}`))) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        const where = `${relative(ROOT, file)} imports '${spec}'`;
        if (others.some((o) => spec === `@sudamall/${o}` || spec.startsWith(`@sudamall/${o}/`))) offending.push(where);
        if (spec.startsWith('.')) {
          const target = relative(ROOT, resolve(dirname(file), spec));
          if (
            !target.startsWith(`services/${service}/`) &&
            target !== `services/${service}` &&
            !target.startsWith('packages/') &&
            !target.startsWith('node_modules/') &&
            target !== 'jest.preset.js'
          ) {
            offending.push(`${where} (→ ${target})`);
          }
        }
      }
    }
    expect(offending).toEqual([]);
  });

  test('depends only on packages/* among the workspaces, and has its own name and version', () => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg.name).toBe(`@sudamall/${service}`);
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies });
    expect(deps.filter((d) => d.startsWith('@sudamall/') && d !== '@sudamall/shared' && d !== '@sudamall/proto')).toEqual([]);
  });

  test('turbo build+test filtered to it runs only it and packages/*', () => {
    const out = execFileSync('npx', ['turbo', 'run', 'build', 'test', `--filter=@sudamall/${service}...`, '--dry=json'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const plan = JSON.parse(out) as { packages: string[]; tasks: Array<{ package: string }> };
    const touched = [...new Set([...plan.packages, ...plan.tasks.map((t) => t.package)])].sort();
    expect(touched).toEqual([`@sudamall/${service}`, '@sudamall/proto', '@sudamall/shared'].sort());
  }, 60_000);
});
