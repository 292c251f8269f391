// ESLint over the whole monorepo (`npm run lint`, also run by `npm test`): typescript-eslint with
// type information (each file is checked with the tsconfig.json nearest to it, through the
// TypeScript project service), the layer boundaries of docs/architecture.md as import rules, and
// eslint-config-prettier last so that formatting is Prettier's alone (`prettier --check .`).
//
// Lint one folder: npx eslint services/inventory --max-warnings 0
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const SERVICES = ['cart', 'inventory', 'order', 'payment'];

// Plain Node.js scripts (bench, scripts/lib, Jest configs) are CommonJS; these are the names
// they use that ESLint's own `no-undef` does not know. (The `globals` package would list them
// all; eleven names are not worth a dependency.)
const NODE_GLOBALS = Object.fromEntries(
  ['require', 'module', 'exports', '__dirname', '__filename', 'process', 'console', 'Buffer', 'URL', 'fetch', 'AbortController', 'AbortSignal']
    .concat([
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
      'setImmediate',
      'clearImmediate',
      'performance',
      'structuredClone',
      'TextEncoder',
      'TextDecoder',
    ])
    .map((name) => [name, 'readonly']),
);

// ---- layer boundaries (services/<svc>/src/**)
// One config object per (service, layer), because flat config does not merge the options of a
// rule given twice: the last object matching a file would silently win. Each object therefore
// carries every restriction that applies to its folder.

/** Database drivers and the generated Prisma client: only infra/ talks to the database. */
const DATABASE_ONLY_IN_INFRA = [
  { group: ['pg', 'pg/*', 'pg-*'], message: 'node-postgres belongs in infra/ (docs/architecture.md, data access): call a store or port instead.' },
  {
    group: ['**/generated/prisma', '**/generated/prisma/**', '@prisma/client', '@prisma/client/**', '@prisma/adapter-pg'],
    message: 'The Prisma client belongs in infra/ (docs/architecture.md, data access): call a store or port instead.',
  },
];

/** Transports: domain/ and app/ (and order's saga/) are called by them, never the other way round. */
const TRANSPORT_PACKAGES = [
  {
    group: ['fastify', 'fastify/*', '@fastify/*', '@grpc/*', 'kafkajs', 'kafkajs/*', 'ioredis', 'ioredis/*', 'ws'],
    message: 'Transports stay in http/, grpc/, live/ and infra/: domain/ and app/ receive plain values and ports.',
  },
];
/** @sudamall/shared's barrel re-exports its transport helpers too: the same rule, by name. */
const SHARED_TRANSPORTS = {
  name: '@sudamall/shared',
  importNames: [
    'KafkaBus',
    'Subscription',
    'OutboxRelay',
    'startGrpcServer',
    'GrpcServiceBinding',
    'grpcHandler',
    'callUnary',
    'promisifyUnary',
    'createServiceApp',
    'authPlugin',
    'liveUpdatesPlugin',
    'LiveHub',
    'rateLimitPlugin',
    'registerHealth',
    'registerOpenApi',
    'parkedMessagesRoutes',
    'registerMetrics',
    'registerServiceMetrics',
  ],
  message: 'A transport helper: it belongs in http/, grpc/, live/ or infra/, which call domain/ and app/, not the reverse.',
};
const OWN_TRANSPORT_FOLDERS = {
  regex: String.raw`^(\.\./)+(http|grpc|live)(/|$)`,
  message: "domain/ and app/ must not reach into the service's transports (http/, grpc/, live/): they call the use case, not the reverse.",
};
const DOMAIN_STAYS_PURE = {
  regex: String.raw`^(\.\./)+(app|infra|saga)(/|$)`,
  message: 'domain/ holds plain rules: it imports neither app/, saga/ nor infra/ (they import it).',
};

/** services/X never imports services/Y: they talk over gRPC and Kafka (packages/proto, @sudamall/shared contracts). */
function otherServices(service) {
  const others = SERVICES.filter((s) => s !== service).join('|');
  return {
    regex: String.raw`^(@sudamall/(${others})(/|$)|(\.\./)+(services/)?(${others})(/|$)|.*/services/(${others})(/|$))`,
    message: `A service does not import another service's code (${service} → ${others.replace(/\|/g, ', ')}): use its gRPC contract or its events.`,
  };
}

function boundaries(service) {
  const src = `services/${service}/src`;
  const rule = (patterns, paths = []) => ['error', { paths, patterns }];
  const crossService = otherServices(service);
  return [
    {
      name: `boundaries/${service}/everywhere`,
      files: [`services/${service}/**/*.{ts,js,mjs,cjs}`],
      rules: { '@typescript-eslint/no-restricted-imports': rule([crossService]) },
    },
    {
      name: `boundaries/${service}/src-outside-infra`,
      files: [`${src}/**/*.ts`],
      ignores: [`${src}/infra/**`, `${src}/domain/**`, `${src}/app/**`, `${src}/saga/**`],
      rules: { '@typescript-eslint/no-restricted-imports': rule([crossService, ...DATABASE_ONLY_IN_INFRA]) },
    },
    {
      name: `boundaries/${service}/app`,
      files: [`${src}/app/**/*.ts`, `${src}/saga/**/*.ts`],
      rules: {
        '@typescript-eslint/no-restricted-imports': rule(
          [crossService, ...DATABASE_ONLY_IN_INFRA, ...TRANSPORT_PACKAGES, OWN_TRANSPORT_FOLDERS],
          [SHARED_TRANSPORTS],
        ),
      },
    },
    {
      name: `boundaries/${service}/domain`,
      files: [`${src}/domain/**/*.ts`],
      rules: {
        '@typescript-eslint/no-restricted-imports': rule(
          [crossService, ...DATABASE_ONLY_IN_INFRA, ...TRANSPORT_PACKAGES, OWN_TRANSPORT_FOLDERS, DOMAIN_STAYS_PURE],
          [SHARED_TRANSPORTS],
        ),
      },
    },
  ];
}

/**
 * `eslint-disable` comments must say why (`// eslint-disable-next-line rule -- because ...`): a
 * switched-off rule with no reason cannot be judged by the next reader. (ESLint itself already
 * reports disables that no longer suppress anything: reportUnusedDisableDirectives.)
 */
const requireDisableReason = {
  meta: { type: 'suggestion', messages: { missing: 'Say why the rule is disabled here: `{{directive}} <rule> -- because ...`.' }, schema: [] },
  create(context) {
    return {
      Program() {
        for (const comment of context.sourceCode.getAllComments()) {
          const m = /^\s*(eslint-disable(?:-next-line|-line)?)(?=\s|$)/.exec(comment.value);
          if (m && !/\s--\s*\S/.test(comment.value)) context.report({ loc: comment.loc, messageId: 'missing', data: { directive: m[1] } });
        }
      },
    };
  },
};

export default defineConfig(
  {
    name: 'ignores',
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/coverage/**',
      '.local/**',
      '.turbo/**',
      '.test-results/**',
      'test-artifacts/**',
      'bench/results/**',
      'packages/proto/src/gen/**',
      'packages/client/src/generated/**',
      'services/*/src/generated/**',
    ],
  },

  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    name: 'type information',
    languageOptions: {
      parserOptions: {
        projectService: {
          // Files no tsconfig.json includes (Jest's and Prisma's configuration, Jest's global
          // set-up): TypeScript's default project types them. bench/ and scripts/lib/ have a
          // tsconfig.json of their own for that, being larger.
          allowDefaultProject: [
            'eslint.config.mjs',
            'jest.preset.js',
            '*/jest.config.js',
            '*/*/jest.config.js',
            'services/*/test/*.js',
            'services/*/test/*/*.js',
            'services/inventory/prisma.config.ts',
            'packages/client/scripts/*.js',
          ],
          // The default is 8; these ~20 small files cost a few seconds.
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 32,
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error', reportUnusedInlineConfigs: 'error' },
  },

  {
    name: 'project rules',
    plugins: { sudamall: { rules: { 'require-disable-reason': requireDisableReason } } },
    rules: {
      'sudamall/require-disable-reason': 'error',
      // Promises: one never awaited hides its failure (unhandled rejection) and its timing.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Unused code: `_name` marks a parameter or binding kept on purpose (a handler's signature,
      // a destructured field left out of a copy).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      // A `return promise` inside try/catch skips the catch and the finally's timing: await it there.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // Off: fastify plugins are `async (app) => { app.get(...) }` (fastify's plugin contract, no
      // await needed), and ports' in-memory implementations (fakes, the test and cash gateways,
      // Kafka handlers) are `async` so that a throw becomes a rejection as the port promises.
      // The rule would force `Promise.resolve(...)` wrappers that say less.
      '@typescript-eslint/require-await': 'off',
      // `!` is an assumption the compiler cannot check; in source code, say what holds instead.
      '@typescript-eslint/no-non-null-assertion': 'error',
      // A switch over a union (statuses, event types, answer kinds) without a default must name
      // every member, so a new status cannot fall through unnoticed.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },

  ...SERVICES.flatMap(boundaries),

  {
    name: 'tests',
    files: ['**/test/**/*.ts', 'tests/**/*.ts', 'chaos/**/*.ts', '**/*.test.ts'],
    rules: {
      // Tests read answers (HTTP bodies, gRPC replies, Kafka messages, SQL rows) as `any` and
      // their assertions are what checks the shape; typing each answer first would add lines
      // and catch nothing the assertion does not. Fakes pass deliberately partial or malformed
      // values (`as any`) to the code under test. Source code keeps all of these rules.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // `expect(fake.method).toHaveBeenCalledWith(...)` passes a Jest mock, never called unbound.
      '@typescript-eslint/unbound-method': 'off',
      // A test asserts what it expects just before; `!` there reads better than another guard.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },

  {
    name: 'plain Node.js scripts',
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: NODE_GLOBALS },
    rules: {
      // CommonJS is what these files are.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    name: 'ES module scripts',
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: NODE_GLOBALS },
  },
  {
    name: 'plain JavaScript',
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    rules: {
      // Plain JavaScript has no type annotations: JSON.parse, child processes' output and the
      // packages these scripts load are `any` to TypeScript, so the unsafe-* rules would flag
      // every line that reads data. The promise rules, which need no annotations, stay on.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // `const { join } = require('node:path')` is CommonJS's `import { join } from 'node:path'`,
      // which the rule does not flag; it cannot tell a module from an object with methods.
      '@typescript-eslint/unbound-method': 'off',
      // A callback's `err` is untyped in JavaScript; rejecting with it is rejecting with an Error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true }],
    },
  },

  prettier,
);
