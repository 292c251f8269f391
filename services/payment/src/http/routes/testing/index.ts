import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { HttpDeps } from '../../app-deps';
import { testPaymentView } from '../../presenters';
import { ErrorSchema, TEST_PAYMENT_DEFAULTS, TestPaymentBody, TestWebhookBody, WebhookAckSchema } from '../../schemas';

const security = [{ bearerAuth: [] }];

/**
 * Registered only in test mode; otherwise these paths answer 404 like any unknown route. The
 * simulated webhook settles payments, so it is never registered in production, even where test
 * mode is allowed there (PAYMENT_TEST_MODE_IN_PRODUCTION), and only admins may call it.
 */
export const testingRoutes =
  (deps: HttpDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { runTestPayment, applySimulatedWebhook } = deps.useCases;

    app.post(
      '/',
      {
        preHandler: app.authenticate,
        schema: {
          operationId: 'runTestPayment',
          summary: 'Test mode: one charge at the test gateway, no order, nothing stored',
          tags: ['test mode'],
          security,
          body: TestPaymentBody,
          response: {
            200: Type.Object({
              gateway: Type.String(),
              amount: Type.String(),
              gateway_fee: Type.String(),
              total_amount: Type.String(),
              card_last4: Type.Union([Type.String(), Type.Null()]),
              outcome: Type.String(),
              failure_code: Type.Union([Type.String(), Type.Null()]),
              failure_message: Type.Union([Type.String(), Type.Null()]),
              transaction_id: Type.Union([Type.String(), Type.Null()]),
            }),
            400: ErrorSchema,
            401: ErrorSchema,
          },
        },
      },
      async (request) =>
        testPaymentView(
          await runTestPayment.execute({
            amount: request.body.amount ?? TEST_PAYMENT_DEFAULTS.amount,
            cardNumber: request.body.card_number ?? TEST_PAYMENT_DEFAULTS.card_number,
          }),
        ),
    );

    if (deps.settings.production) return;

    app.post(
      '/webhook/',
      {
        preHandler: app.requireRole('admin'),
        schema: {
          operationId: 'simulateWebhook',
          summary:
            'Test mode, admins: simulate a gateway webhook on a test-gateway payment (deduplicated by event_id, applied only as a valid transition; never in production)',
          tags: ['test mode'],
          security,
          body: TestWebhookBody,
          response: { 200: WebhookAckSchema, 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema },
        },
      },
      async (request) =>
        applySimulatedWebhook.execute({
          paymentId: request.body.payment_id,
          event: request.body.event,
          eventId: request.body.event_id ?? randomUUID(),
          transactionId: request.body.transaction_id,
          failureCode: request.body.failure_code,
        }),
    );
  };
