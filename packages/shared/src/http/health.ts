import type { FastifyInstance } from 'fastify';

export interface HealthOptions {
  /** Whether the service can take traffic now (database reachable, consumers running, not closing). */
  ready: () => boolean | Promise<boolean>;
}

/** `GET /healthz` (the process is alive) and `GET /readyz` (it can serve: 200, or 503). */
export function registerHealth(app: FastifyInstance, opts: HealthOptions): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (request, reply) => {
    let ready = false;
    try {
      ready = await opts.ready();
    } catch (err) {
      request.log.warn({ err }, 'readiness check failed');
    }
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready' });
  });
}
