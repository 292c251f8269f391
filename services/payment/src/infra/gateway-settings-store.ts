import type { GatewaySettingsAuditRecord, GatewaySettingsStore } from '../app/update-gateway-settings';
import type { GatewayRecord } from '../app/records';
import type { GatewayStore } from '../app/ports';
import { sqlOverPrisma } from '@sudamall/shared';
import { toGatewayRecord } from './payment-rows';
import { LOCK_GATEWAY_SETTINGS } from './payment-sql';
import { settingsChanged, type GatewaySettings } from '../domain/gateway-settings';
import type { Db } from './prisma';

type AuditRow = Awaited<ReturnType<Db['gatewaySettingsAudit']['findFirstOrThrow']>>;

function toAudit(r: AuditRow): GatewaySettingsAuditRecord {
  return {
    id: r.id.toString(),
    gateway: r.gatewayName,
    changedBy: r.changedBy,
    actorRole: r.actorRole,
    changedAt: r.changedAt,
    oldSettings: r.oldSettings as unknown as GatewaySettings,
    newSettings: r.newSettings as unknown as GatewaySettings,
  };
}

/** gateways (fees, is_active) and gateway_settings_audit, changed together. */
export class PrismaGatewaySettingsStore implements GatewaySettingsStore, GatewayStore {
  constructor(private readonly db: Db) {}

  async listGateways(activeOnly: boolean): Promise<GatewayRecord[]> {
    const rows = await this.db.gateway.findMany({ where: activeOnly ? { isActive: true } : {}, orderBy: { name: 'asc' } });
    return rows.map(toGatewayRecord);
  }

  async findGateway(name: string): Promise<GatewayRecord | null> {
    const row = await this.db.gateway.findUnique({ where: { name } });
    return row ? toGatewayRecord(row) : null;
  }

  change(name: string, decide: (current: GatewaySettings) => GatewaySettings, audit: { changedBy: string; actorRole: string; at: Date }) {
    return this.db.$transaction(async (tx) => {
      // Two admins at once: the second sees the first's values as "old", so the audit trail chains.
      const [row] = await sqlOverPrisma(tx).query<{ fixed_fee: string; percentage_fee: string; is_active: boolean }>(LOCK_GATEWAY_SETTINGS, [name]);
      if (!row) return null;
      const current: GatewaySettings = { fixed_fee: row.fixed_fee, percentage_fee: row.percentage_fee, is_active: row.is_active };
      const next = decide(current);
      let written: GatewaySettingsAuditRecord | null = null;
      if (settingsChanged(current, next)) {
        await tx.gateway.update({ where: { name }, data: { fixedFee: next.fixed_fee, percentageFee: next.percentage_fee, isActive: next.is_active } });
        written = toAudit(
          await tx.gatewaySettingsAudit.create({
            data: {
              gatewayName: name,
              changedBy: audit.changedBy,
              actorRole: audit.actorRole,
              changedAt: audit.at,
              oldSettings: { ...current },
              newSettings: { ...next },
            },
          }),
        );
      }
      const g = await tx.gateway.findUniqueOrThrow({ where: { name } });
      const gateway: GatewayRecord = {
        name: g.name,
        displayName: g.displayName,
        type: g.type,
        isActive: g.isActive,
        testMode: g.testMode,
        fixedFee: g.fixedFee.toFixed(2),
        percentageFee: g.percentageFee.toFixed(2),
      };
      return { gateway, audit: written };
    });
  }

  async auditOf(name: string, limit: number): Promise<GatewaySettingsAuditRecord[]> {
    const rows = await this.db.gatewaySettingsAudit.findMany({ where: { gatewayName: name }, orderBy: [{ changedAt: 'desc' }, { id: 'desc' }], take: limit });
    return rows.map(toAudit);
  }
}
