import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BaseEnv, ConfigError, loadConfig } from '../../src/config';
import { KNOWN_SECRETS, MIN_PRODUCTION_JWT_SECRET_BYTES, productionSecretProblems } from '../../src/known-secrets';
import { TEST_JWT_SECRET } from '../../src/testing';

const production = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgresql://sudamall:sudamall@127.0.0.1:5432/inventory_test',
  // HS256 at all in production is the JWKS check's business; allowed here to reach the secret checks.
  JWT_HS256_IN_PRODUCTION: 'true',
};

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(BaseEnv, env);
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
};

describe('no known secret in production', () => {
  it('refuses a JWT secret committed to the repository, naming the variable but never the value', () => {
    for (const secret of ['local-dev-secret-change-me-0123456789', 'compose-local-jwt-secret-change-me', TEST_JWT_SECRET]) {
      const problems = problemsOf({ ...production, JWT_SECRET: secret });
      expect(problems).toEqual([expect.stringContaining('JWT_SECRET is a value committed to the repository')]);
      expect(problems.join(' ')).not.toContain(secret);
    }
  });

  it(`refuses a JWT secret shorter than ${MIN_PRODUCTION_JWT_SECRET_BYTES} bytes (counted in UTF-8 bytes)`, () => {
    expect(problemsOf({ ...production, JWT_SECRET: randomBytes(15).toString('hex') })).toEqual([
      `JWT_SECRET must be at least ${MIN_PRODUCTION_JWT_SECRET_BYTES} bytes in production`,
    ]);
    // 16 two-byte characters are 32 bytes.
    expect(problemsOf({ ...production, JWT_SECRET: 'é'.repeat(16) })).toEqual([]);
  });

  it('starts with a generated secret (what scripts/lib/local-secrets.sh writes: 48 random bytes, hex)', () => {
    const config = loadConfig(BaseEnv, { ...production, JWT_SECRET: randomBytes(48).toString('hex') });
    expect(config.NODE_ENV).toBe('production');
  });

  it('refuses a known webhook secret in any schema that declares one', () => {
    expect(productionSecretProblems({ STRIPE_WEBHOOK_SECRET: 'whsec_compose_local_only' })).toEqual([
      expect.stringContaining('STRIPE_WEBHOOK_SECRET is a value committed'),
    ]);
    expect(productionSecretProblems({ STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('hex')}` })).toEqual([]);
  });

  it("leaves development and tests alone: they run with the repository's secrets", () => {
    for (const NODE_ENV of ['development', 'test']) {
      expect(problemsOf({ ...production, NODE_ENV, JWT_SECRET: TEST_JWT_SECRET })).toEqual([]);
    }
  });

  it('lists every JWT and webhook secret written in a committed file (compose, k8s, scripts, tests, benchmarks)', () => {
    const root = join(__dirname, '..', '..', '..', '..');
    const files = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f && !/\.md$|package-lock\.json$|known-secrets\.ts$|\/generated\//.test(f));
    const patterns = [
      /\b(whsec_[A-Za-z0-9_]+)/g,
      /JWT_SECRET['"]?\s*(?:=|:|\?\?)\s*['"]([A-Za-z0-9_-]{12,})['"]/g, // JS: JWT_SECRET: '...', ?? '...'
      /JWT_SECRET(?::-|:=|=)([A-Za-z0-9_-]{12,})/g, // shell and compose fallbacks
      /["\s[]secret=([A-Za-z0-9_-]{12,})/g, // kustomize secretGenerator literals
    ];
    const found = new Map<string, string>();
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(join(root, file), 'utf8');
      } catch {
        continue; // deleted in the working tree
      }
      for (const re of patterns) for (const m of text.matchAll(re)) found.set(m[1], file);
    }
    expect(found.size).toBeGreaterThan(10);
    const missing = [...found].filter(([value]) => !KNOWN_SECRETS.has(value)).map(([value, file]) => `${value} (${file})`);
    expect(missing).toEqual([]);
  });
});
