import type { FastifyPluginAsync } from 'fastify';
import type { HttpDeps } from '../../app-deps';
import { ErrorSchema, WebhookAckSchema } from '../../schemas';

/**
 * Gateway webhooks. The body is kept as the exact bytes received: the signature is computed
 * over them, and any JSON re-serialisation would break it. The parser is registered inside
 * this plugin only, so the other routes keep fastify's JSON parser.
 */
export const webhookRoutes =
  (deps: HttpDeps): FastifyPluginAsync =>
  async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 512 * 1024 }, (_request, body, done) => done(null, body));

    app.post(
      '/stripe/',
      {
        // Any content type is read as bytes here: 415 cannot happen.
        config: { openapi: { omitErrors: [415] } },
        schema: {
          operationId: 'receiveStripeWebhook',
          summary: 'Stripe webhook (Stripe-Signature over the raw body)',
          tags: ['webhooks'],
          response: { 200: WebhookAckSchema, 400: ErrorSchema },
        },
      },
      async (request) => {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const header = request.headers['stripe-signature'];
        return deps.useCases.applyStripeWebhook.execute(
          raw,
          Array.isArray(header) ? header[0] : header,
          deps.settings.stripeWebhookSecret,
          deps.settings.stripeWebhookToleranceSeconds,
        );
      },
    );
  };
