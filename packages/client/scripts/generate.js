// The client's types come from the four services' OpenAPI 3.1 documents as the built services
// serve them: each service's own buildApp (its dist, built first by turbo's `^build`) answers
// GET <prefix>/openapi.json through app.inject, with no database, broker or listening port, and
// openapi-typescript turns each document into src/generated/<service>.ts (the document itself
// is kept beside it as <service>.openapi.json). Nothing here is committed: a route or field a
// service adds, renames or drops reaches the client on the next build, and a consumer written
// against the old shape fails to compile (tests/e2e and the demo typecheck in their build).
// The documents are built as tests/e2e/test/openapi.test.ts builds the ones it lints.
'use strict';
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const pino = require('pino');

const OUT = join(__dirname, '..', 'src', 'generated');

/**
 * A document comes from the routes' schemas alone: no handler runs while it is built. So the use
 * cases are a value any part of which may be handed around at registration (order passes
 * `useCases.parked` to a plugin) but which fails loudly if anything calls it.
 */
function unreachable(path = 'useCases') {
  return new Proxy(() => undefined, {
    get: (_target, key) => (key === 'then' || typeof key === 'symbol' ? undefined : unreachable(`${path}.${key}`)),
    apply: () => {
      throw new Error(`generating the client's documents called ${path}()`);
    },
  });
}

// Only verifies tokens (none arrive here); never a secret any running service uses.
const auth = { secret: 'client-document-generation-only-not-a-secret-0123456789' };
const logger = pino({ level: 'silent' });

const SERVICES = [
  {
    name: 'inventory',
    doc: '/api/v1/products/openapi.json',
    build: () => require('@sudamall/inventory/dist/http/app').buildApp({ useCases: unreachable(), auth, ready: () => true }),
  },
  { name: 'cart', doc: '/api/v1/carts/openapi.json', build: () => require('@sudamall/cart/dist/http/app').buildApp({ useCases: unreachable(), auth }) },
  { name: 'order', doc: '/api/v1/orders/openapi.json', build: () => require('@sudamall/order/dist/http/app').buildApp({ useCases: unreachable(), auth }) },
  {
    name: 'payment',
    doc: '/api/v1/payments/openapi.json',
    build: () =>
      require('@sudamall/payment/dist/http/app').buildApp({
        useCases: unreachable(),
        parked: unreachable('parked'), // main.ts always serves the parked-message endpoints
        logger,
        auth,
        ready: () => true,
        // Test mode on, production off: every route the service can serve is typed (the
        // test-mode routes, e.g. the simulated webhook, answer 404 in production).
        settings: {
          testMode: true,
          production: false,
          currency: 'USD',
          paymentWindowMinutes: 15,
          stripePublishableKey: 'pk_test_document',
          stripeWebhookSecret: 'whsec_document_test_0123456789abcdef',
          stripeWebhookToleranceSeconds: 300,
          paypalClientId: 'paypal-document-generation',
        },
      }),
  },
];

async function main() {
  const { default: openapiTS, astToString, COMMENT_HEADER } = await import('openapi-typescript');
  mkdirSync(OUT, { recursive: true });
  for (const service of SERVICES) {
    const app = await service.build();
    try {
      await app.ready();
      const res = await app.inject({ method: 'GET', url: service.doc });
      if (res.statusCode !== 200) throw new Error(`${service.name}: GET ${service.doc} answered ${res.statusCode}`);
      const document = res.json();
      writeFileSync(join(OUT, `${service.name}.openapi.json`), `${JSON.stringify(document, null, 2)}\n`);
      // The document's `servers` say `/`: the base URL is the caller's (gateway or service).
      const ast = await openapiTS(document, { silent: true, alphabetize: false });
      writeFileSync(
        join(OUT, `${service.name}.ts`),
        COMMENT_HEADER + `// From ${service.doc} of @sudamall/${service.name} (packages/client/scripts/generate.js).\n\n` + astToString(ast),
      );
      console.log(`[client] ${service.name}: ${Object.keys(document.paths ?? {}).length} paths → src/generated/${service.name}.ts`);
    } finally {
      await app.close();
    }
  }
}

main().catch((err) => {
  console.error(`[client] generating the types failed: ${err.stack ?? err}`);
  process.exit(1);
});
