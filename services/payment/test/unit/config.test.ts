import { randomBytes } from 'node:crypto';
import { ConfigError } from '@sudamall/shared';
import { loadConfig, startupWarnings } from '../../src/config';

// A production environment that would start: generated secrets, HS256 accepted explicitly.
const production = () => ({
  NODE_ENV: 'production',
  DATABASE_URL: 'postgresql://sudamall:sudamall@127.0.0.1:5432/payment',
  JWT_SECRET: randomBytes(48).toString('hex'),
  JWT_HS256_IN_PRODUCTION: 'true',
  STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('hex')}`,
});

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
};

describe('payment config in production', () => {
  it('starts with generated secrets and test mode off (its production default)', () => {
    const config = loadConfig(production());
    expect(config.testMode).toBe(false);
    expect(startupWarnings(config)).toEqual([]);
  });

  it('refuses test mode unless PAYMENT_TEST_MODE_IN_PRODUCTION=true', () => {
    expect(problemsOf({ ...production(), PAYMENT_TEST_MODE: 'true' })).toEqual([expect.stringContaining('PAYMENT_TEST_MODE must be off in production')]);
    expect(problemsOf({ ...production(), PAYMENT_TEST_MODE: 'true', PAYMENT_TEST_MODE_IN_PRODUCTION: 'false' })).toHaveLength(1);
  });

  it('runs test mode in production when explicitly allowed, and says so loudly at start', () => {
    const config = loadConfig({ ...production(), PAYMENT_TEST_MODE: 'true', PAYMENT_TEST_MODE_IN_PRODUCTION: 'true' });
    expect(config.testMode).toBe(true);
    expect(startupWarnings(config)).toEqual([expect.stringContaining('PAYMENT TEST MODE IS ON IN PRODUCTION')]);
  });

  it('refuses the webhook secret compose used to fall back to, and a JWT secret from the repository', () => {
    expect(problemsOf({ ...production(), STRIPE_WEBHOOK_SECRET: 'whsec_compose_local_only' })).toEqual([
      expect.stringContaining('STRIPE_WEBHOOK_SECRET is a value committed to the repository'),
    ]);
    expect(problemsOf({ ...production(), JWT_SECRET: 'compose-local-jwt-secret-change-me' })).toEqual([
      expect.stringContaining('JWT_SECRET is a value committed to the repository'),
    ]);
  });

  it('keeps test mode on by default outside production', () => {
    expect(loadConfig({ ...production(), NODE_ENV: 'development', JWT_SECRET: 'local-dev-secret-change-me-0123456789' }).testMode).toBe(true);
  });
});
