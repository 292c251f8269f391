import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

export interface OpenApiOptions {
  title: string;
  version: string;
  /** The service's public base path, e.g. `/api/v1/products`; the document is at `<prefix>/openapi.json`. */
  prefix: string;
  description?: string;
}

/**
 * OpenAPI 3 from the routes' own TypeBox schemas. Register it before the routes: swagger
 * collects routes through the onRoute hook, so routes added earlier are missing.
 */
export async function registerOpenApi(app: FastifyInstance, opts: OpenApiOptions): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: opts.title, version: opts.version, ...(opts.description ? { description: opts.description } : {}) },
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
