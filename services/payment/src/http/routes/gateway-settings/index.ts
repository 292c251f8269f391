import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { MONEY_PATTERN } from '@sudamall/shared';
import { updateGatewaySettings, type GatewaySettingsAuditRecord } from '../../../app/update-gateway-settings';
import type { HttpDeps } from '../../app-deps';
import { ErrorSchema, GatewaySchema } from '../../schemas';
import { gatewayView } from '../../views';

const security = [{ bearerAuth: [] }];

const Settings = Type.Object({
  fixed_fee: Type.String({ pattern: MONEY_PATTERN }),
  percentage_fee: Type.String({ description: 'percent of the amount: "2.90" = 2.9 %' }),
  is_active: Type.Boolean(),
});

const AuditSchema = Type.Object({
  id: Type.String(),
  gateway: Type.String(),
  changed_by: Type.String(),
  actor_role: Type.String(),
  changed_at: Type.String({ format: 'date-time' }),
  old: Settings,
  new: Settings,
});

const SettingsResponse = Type.Object({
  gateway: Type.Composite([GatewaySchema, Type.Object({ is_active: Type.Boolean() })]),
  audit: Type.Union([AuditSchema, Type.Null()], { description: 'the audit row of this change; null when it changed nothing' }),
});

// Fees are decimal strings (a JSON number is read as its text): the domain checks the digits.
const Body = Type.Object(
  {
    fixed_fee: Type.Optional(Type.String({ maxLength: 20, description: 'decimal >= 0 with at most 2 decimals, e.g. "0.30"' })),
    percentage_fee: Type.Optional(Type.String({ maxLength: 20, description: 'percent 0..100 with at most 2 decimals, "2.90" = 2.9 %' })),
    is_active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

const Params = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });

function auditView(a: GatewaySettingsAuditRecord) {
  return { id: a.id, gateway: a.gateway, changed_by: a.changedBy, actor_role: a.actorRole, changed_at: a.changedAt.toISOString(), old: a.oldSettings, new: a.newSettings };
}

/** /api/v1/payments/gateways/{name}/: admins change a gateway's fees and activation, audited. */
export const gatewaySettingsRoutes =
  (deps: HttpDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const uc = deps.useCases;
    const store = () => {
      if (!uc.gatewaySettings) throw new Error('gateway settings store not wired');
      return uc.gatewaySettings;
    };

    app.put(
      '/:name/',
      {
        preHandler: app.requireRole('admin'),
        schema: {
          operationId: 'updateGatewaySettings',
          summary: "Change a gateway's fixed_fee, percentage_fee or is_active (admins; audited; existing payments keep their fees)",
          tags: ['payments'],
          security,
          params: Params,
          body: Body,
          response: { 200: SettingsResponse, 400: ErrorSchema, 404: ErrorSchema },
        },
      },
      async (request) => {
        const r = await updateGatewaySettings(store(), request.user, request.params.name, request.body, uc.clock.now());
        return { gateway: { ...gatewayView(r.gateway), is_active: r.gateway.isActive }, audit: r.audit ? auditView(r.audit) : null };
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
          params: Params,
          querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }) }, { additionalProperties: false }),
          response: { 200: Type.Object({ items: Type.Array(AuditSchema) }), 404: ErrorSchema },
        },
      },
      async (request) => ({ items: (await store().auditOf(request.params.name, request.query.limit)).map(auditView) }),
    );
  };
