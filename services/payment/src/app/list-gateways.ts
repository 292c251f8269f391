import type { GatewayRegistry, GatewayStore } from './ports';
import type { GatewayRecord } from './records';

/** The gateways a buyer may choose: active in the settings and configured in this deployment. */
export class ListGateways {
  constructor(
    private readonly gatewayStore: GatewayStore,
    private readonly gateways: GatewayRegistry,
  ) {}

  async execute(): Promise<GatewayRecord[]> {
    const active = await this.gatewayStore.listGateways(true);
    return active.filter((g) => this.gateways.get(g.name));
  }
}
