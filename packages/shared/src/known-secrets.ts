// Secrets that can sign something a service trusts (tokens, webhooks) and that production must
// never run with. Checked by loadConfig when NODE_ENV=production, for every service.

/**
 * Every JWT or webhook secret written in this repository: the compose and launcher fallbacks of
 * earlier versions, the demo, test and benchmark fixtures, the k8s dev overlay, the validators.
 * Whoever has read the repository can sign with them, so in production they are as good as none.
 * Add a value here whenever one is committed anywhere.
 */
export const KNOWN_SECRETS: ReadonlySet<string> = new Set([
  // JWT (HS256) secrets
  'compose-local-jwt-secret-change-me',
  'local-dev-secret-change-me-0123456789',
  'test-secret-change-me-0123456789',
  'test-secret-at-least-16-chars',
  'bench-secret-0123456789abcdef',
  'image-smoke-secret-0123456789',
  'dev-only-jwt-secret-0123456789abcdef',
  'placeholder-jwt-secret-0123456789abcdef',
  '0123456789abcdef',
  '0123456789abcdef0123456789abcdef',
  'unit-test-secret-0123456789',
  'another-secret-0123456789',
  'not-the-secret-0123456789abcdef',
  'rate-limit-test-secret-0123456789',
  'jwks-test-hs256-secret-0123456789',
  'a-local-development-secret',
  // Stripe webhook signing secrets
  'whsec_compose_local_only',
  'whsec_sudamall_local_development',
  'whsec_sudamall_dev_only',
  'whsec_placeholder',
  'whsec_payment_tests',
  'whsec_bench_0123456789abcdef',
  'whsec_chaos_suite_secret',
  'whsec_image_smoke',
  'whsec_unit_test_secret',
  'whsec_attacker',
  'whsec_other',
  'whsec_not_the_secret',
  'whsec_document_test_0123456789abcdef',
]);

/** The variables holding such secrets, in whichever service schema declares them. */
export const SIGNING_SECRET_VARIABLES = ['JWT_SECRET', 'STRIPE_WEBHOOK_SECRET'] as const;

/** HS256 needs a key at least as long as its 256-bit output to be as strong as the hash (RFC 7518 §3.2). */
export const MIN_PRODUCTION_JWT_SECRET_BYTES = 32;

/**
 * Why these settings must not run in production (empty when they may): a signing secret that is
 * in the repository, or a JWT secret shorter than MIN_PRODUCTION_JWT_SECRET_BYTES. Messages name
 * the variable, never the value.
 */
export function productionSecretProblems(env: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const name of SIGNING_SECRET_VARIABLES) {
    const value = env[name];
    if (typeof value !== 'string') continue;
    if (KNOWN_SECRETS.has(value)) {
      problems.push(`${name} is a value committed to the repository (anyone can sign with it); generate one, e.g. openssl rand -hex 48`);
    } else if (name === 'JWT_SECRET' && Buffer.byteLength(value, 'utf8') < MIN_PRODUCTION_JWT_SECRET_BYTES) {
      problems.push(`JWT_SECRET must be at least ${MIN_PRODUCTION_JWT_SECRET_BYTES} bytes in production`);
    }
  }
  return problems;
}
