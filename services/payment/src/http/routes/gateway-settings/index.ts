import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { HttpDeps } from '../../app-deps';
import { ErrorSchema, GatewayNameParams, GatewaySettingsAuditSchema, GatewaySettingsBody, GatewaySettingsResponse } from '../../schemas';
import { auditView, gatewaySettingsChangeView } from '../../presenters';

const security = [{ bearerAuth: [] }];

/** /api/v1/payments/gateways/{name}/: admins change a gateway's fees and activation, audited. */
export const gatewaySettingsRoutes =
  (deps: HttpDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { updateGatewaySettings, listGatewaySettingsAudit: listAudit } = deps.useCases;

    app.put(
      '/:name/',
      {
        preHandler: app.requireRole('admin'),
        schema: {
          operationId: 'updateGatewaySettings',
          summary: "Change a gateway's fixed_fee, percentage_fee or is_active (admins; audited; existing payments keep their fees)",
          tags: ['payments'],
          security,
          params: GatewayNameParams,
          body: GatewaySettingsBody,
          response: { 200: GatewaySettingsResponse, 400: ErrorSchema, 404: ErrorSchema },
        },
      },
      async (request) => {
        return gatewaySettingsChangeView(await updateGatewaySettings.execute(request.user, request.params.name, request.body));
      },
    );

    app.get(
      '/:name/audit/',
      {
        preHandler: app.requireRole('admin'),
        schema: {
          operationId: 'listGatewaySettingsAudit',
          summary: "Who changed a gateway's settings, when, from what to what (admins; newest first)",
          tags: ['payments'],
          security,
          params: GatewayNameParams,
          querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }) }, { additionalProperties: false }),
          response: { 200: Type.Object({ items: Type.Array(GatewaySettingsAuditSchema) }), 404: ErrorSchema },
        },
      },
      async (request) => ({ items: (await listAudit.execute(request.params.name, request.query.limit)).map(auditView) }),
    );
  };
