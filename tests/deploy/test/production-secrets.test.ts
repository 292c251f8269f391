// Every service, started as its image starts it (node dist/main.js, NODE_ENV=production), refuses
// a signing secret written in the repository or a JWT secret under 32 bytes, and payment refuses
// test mode unless PAYMENT_TEST_MODE_IN_PRODUCTION=true: it exits 1 naming the variable, before
// it connects to anything. (The config checks themselves: packages/shared known-secrets tests.)
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const SERVICES = ['inventory', 'cart', 'order', 'payment'] as const;

function start(service: (typeof SERVICES)[number], env: Record<string, string>): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, ['dist/main.js'], {
    cwd: join(ROOT, 'services', service),
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      LOG_LEVEL: 'fatal',
      OTEL_SDK_DISABLED: 'true',
      // Nothing listens there: a service that got past its config would fail later, differently.
      DATABASE_URL: 'postgresql://nobody:nothing@127.0.0.1:1/none',
      KAFKA_BROKERS: '127.0.0.1:1',
      REDIS_URL: 'redis://127.0.0.1:1',
      HTTP_HOST: '127.0.0.1',
      GRPC_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      JWT_HS256_IN_PRODUCTION: 'true',
      STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('hex')}`,
      ...env,
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

describe('NODE_ENV=production: no known secret', () => {
  test.each(SERVICES)('%s refuses to start with the JWT secret the local launcher used to fall back to', (service) => {
    const { status, output } = start(service, { JWT_SECRET: 'local-dev-secret-change-me-0123456789' });
    expect(status).toBe(1);
    expect(output).toContain('JWT_SECRET is a value committed to the repository');
    expect(output).not.toContain('local-dev-secret-change-me-0123456789');
  });

  test.each(SERVICES)('%s refuses to start with a JWT secret shorter than 32 bytes', (service) => {
    const { status, output } = start(service, { JWT_SECRET: randomBytes(15).toString('hex') });
    expect(status).toBe(1);
    expect(output).toContain('JWT_SECRET must be at least 32 bytes in production');
  });

  test('payment refuses the webhook secret compose used to fall back to, and test mode unless explicitly allowed', () => {
    const jwt = randomBytes(48).toString('hex');
    const webhook = start('payment', { JWT_SECRET: jwt, STRIPE_WEBHOOK_SECRET: 'whsec_compose_local_only' });
    expect(webhook.status).toBe(1);
    expect(webhook.output).toContain('STRIPE_WEBHOOK_SECRET is a value committed to the repository');
    const testMode = start('payment', { JWT_SECRET: jwt, PAYMENT_TEST_MODE: 'true' });
    expect(testMode.status).toBe(1);
    expect(testMode.output).toContain('PAYMENT_TEST_MODE must be off in production');
  });
});
