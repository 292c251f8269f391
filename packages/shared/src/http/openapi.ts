import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { documentRoute, ErrorBodySchema } from './route-docs';

export interface OpenApiOptions {
  title: string;
  version: string;
  /** The service's public base path, e.g. `/api/v1/products`; the document is at `<prefix>/openapi.json`. */
  prefix: string;
  description?: string;
}

/**
 * OpenAPI 3.1 from the routes' own TypeBox schemas (3.1 Schema Objects are JSON Schema, so
 * they are served as written: `null` types, `examples`, numeric `exclusiveMinimum`). Register
 * it before the routes: swagger collects routes through the onRoute hook, so routes added
 * earlier are missing, and so is what documentRoute adds (standard error statuses, the
 * `ErrorBody` component, operationIds, `security: []` on public routes).
 */
export async function registerOpenApi(app: FastifyInstance, opts: OpenApiOptions): Promise<void> {
  // Before swagger's own onRoute hook, which keeps the route options it is given (and reads
  // their schema only when the document is built).
  app.addSchema(ErrorBodySchema);
  app.addHook('onRoute', documentRoute);
  await app.register(swagger, {
    // Shared schemas are components named by their $id (`#/components/schemas/ErrorBody`),
    // not swagger's `def-0`.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    // Every route is served with and without its trailing slash (ignoreTrailingSlash); the
    // document names each path once, without it, as OpenAPI tools expect (Redocly's
    // no-path-trailing-slash: `/a/` and `/a` would read as two resources).
    transform: ({ schema, url }) => ({
      schema: schema?.querystring ? { ...schema, querystring: defaultsOptional(schema.querystring) } : schema,
      url: url.length > 1 ? url.replace(/\/+$/, '') : url,
    }),
    openapi: {
      openapi: '3.1.0',
      info: { title: opts.title, version: opts.version, ...(opts.description ? { description: opts.description } : {}) },
      // Paths are absolute (`/api/v1/...`): the gateway's base URL, or one service's own port.
      servers: [{ url: '/', description: 'the gateway (one base URL for every service) or the service itself' }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
    },
  });
  const prefix = opts.prefix.replace(/\/+$/, '');
  app.get(`${prefix}/openapi.json`, { schema: { hide: true } }, async () => app.swagger());
}

/**
 * A query parameter with a `default` is one the caller may leave out (validation fills the
 * default in), so the document must not call it required: a generated client would otherwise make
 * every caller send `page`, `page_size`, `sort`... Only the document's copy changes.
 */
function defaultsOptional(querystring: unknown): unknown {
  const q = querystring as { properties?: Record<string, { default?: unknown }>; required?: string[] };
  if (!q || !Array.isArray(q.required) || !q.properties) return querystring;
  const required = q.required.filter((name) => q.properties?.[name]?.default === undefined);
  return required.length === q.required.length ? querystring : { ...q, required };
}
