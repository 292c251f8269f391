import { randomBytes } from 'node:crypto';
import { BaseEnv, ConfigError, loadConfig } from '../../src/config';

// Which token settings a service may start with (authEnvProblems in config.ts).
const base = { DATABASE_URL: 'postgresql://sudamall:sudamall@127.0.0.1:5432/inventory_test' };
const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(BaseEnv, { ...base, ...env });
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems;
  }
};

describe('token settings', () => {
  it('needs a JWT_SECRET or a JWT_JWKS_URL', () => {
    expect(problems({})).toEqual(["JWT_SECRET is required (or JWT_JWKS_URL, to verify an identity provider's tokens)"]);
    expect(problems({ JWT_SECRET: '0123456789abcdef' })).toEqual([]);
    expect(problems({ JWT_JWKS_URL: 'http://127.0.0.1:8443/jwks.json' })).toEqual([]);
  });

  it('in production requires the JWKS, over https, unless HS256 is explicitly allowed', () => {
    // Generated: production refuses any secret written in the repository (known-secrets.ts).
    const secret = randomBytes(32).toString('hex');
    expect(problems({ NODE_ENV: 'production', JWT_SECRET: secret })).toEqual([
      'JWT_JWKS_URL is required in production: HS256 tokens (JWT_SECRET) are for local development; set JWT_HS256_IN_PRODUCTION=true to accept them anyway',
    ]);
    expect(problems({ NODE_ENV: 'production', JWT_SECRET: secret, JWT_HS256_IN_PRODUCTION: 'true' })).toEqual([]);
    expect(problems({ NODE_ENV: 'production', JWT_JWKS_URL: 'http://idp.internal/jwks.json' })).toEqual(['JWT_JWKS_URL must be https in production']);
    expect(problems({ NODE_ENV: 'production', JWT_JWKS_URL: 'https://idp.internal/jwks.json' })).toEqual([]);
  });

  it('refuses a JWKS URL that is not an http(s) URL', () => {
    expect(problems({ JWT_JWKS_URL: 'file:///etc/jwks.json' })).toEqual(['JWT_JWKS_URL must be an http(s) URL']);
    expect(problems({ JWT_JWKS_URL: 'not a url' })).toEqual(['JWT_JWKS_URL must be an http(s) URL']);
  });

  it('reads the cache settings as numbers', () => {
    const config = loadConfig(BaseEnv, { ...base, JWT_JWKS_URL: 'https://idp/jwks', JWT_JWKS_CACHE_SECONDS: '120', JWT_JWKS_MIN_REFETCH_SECONDS: '5' });
    expect([config.JWT_JWKS_CACHE_SECONDS, config.JWT_JWKS_MIN_REFETCH_SECONDS, config.JWT_HS256_IN_PRODUCTION]).toEqual([120, 5, false]);
  });
});
