import { notFound } from '@sudamall/shared';
import { applySettingsPatch, settingsChanged, type GatewaySettings, type GatewaySettingsPatch } from '../domain/gateway-settings';
import type { Actor } from './deps';
import type { Clock } from './ports';
import type { GatewayRecord } from './records';

export interface GatewaySettingsAuditRecord {
  id: string;
  gateway: string;
  changedBy: string;
  actorRole: string;
  changedAt: Date;
  oldSettings: GatewaySettings;
  newSettings: GatewaySettings;
}

export interface GatewaySettingsStore {
  /**
   * One transaction: the gateway row locked, `decide` given its current settings, and when the
   * answer differs, the row updated and the audit row written. null when no gateway has that name.
   */
  change(
    name: string,
    decide: (current: GatewaySettings) => GatewaySettings,
    audit: { changedBy: string; actorRole: string; at: Date },
  ): Promise<{ gateway: GatewayRecord; audit: GatewaySettingsAuditRecord | null } | null>;
  auditOf(name: string, limit: number): Promise<GatewaySettingsAuditRecord[]>;
}

export const gatewayNotFound = (name: string) => notFound('GATEWAY_NOT_FOUND', `no gateway named ${name}`, { gateway: name });

/**
 * An admin changes a gateway's fees or activation. New payments read the gateway at creation
 * (CreatePayment), so they get the new fees; a payment already created keeps the fee stored on it.
 * A PUT that changes nothing writes no audit row (a retried PUT is harmless).
 */
export class UpdateGatewaySettings {
  constructor(
    private readonly store: GatewaySettingsStore,
    private readonly clock: Clock,
  ) {}

  async execute(actor: Actor, name: string, patch: GatewaySettingsPatch): Promise<{ gateway: GatewayRecord; audit: GatewaySettingsAuditRecord | null }> {
    // Validated before the transaction too, so bad input never takes the row lock.
    applySettingsPatch({ fixed_fee: '0.00', percentage_fee: '0.00', is_active: true }, patch);
    const result = await this.store.change(
      name,
      (current) => {
        const next = applySettingsPatch(current, patch);
        return settingsChanged(current, next) ? next : current;
      },
      { changedBy: actor.id, actorRole: actor.role, at: this.clock.now() },
    );
    if (!result) throw gatewayNotFound(name);
    return result;
  }
}

/** A gateway's settings changes, newest first (admins). */
export class ListGatewaySettingsAudit {
  constructor(private readonly store: GatewaySettingsStore) {}

  execute(name: string, limit: number): Promise<GatewaySettingsAuditRecord[]> {
    return this.store.auditOf(name, limit);
  }
}
