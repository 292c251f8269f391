// Unit tests give the use cases one fake object for every store (the few methods a test needs).
import type { UseCaseDeps } from '../../src/app/deps';

type Stores = Pick<UseCaseDeps, 'gatewayStore' | 'gatewaySettings' | 'payments' | 'charges' | 'webhooks' | 'refunds' | 'duplicateCaptures' | 'orderCommands'>;

export function storesOf(fake: object): Stores {
  const f = fake as never;
  return { gatewayStore: f, gatewaySettings: f, payments: f, charges: f, webhooks: f, refunds: f, duplicateCaptures: f, orderCommands: f };
}
