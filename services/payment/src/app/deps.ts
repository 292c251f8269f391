import type { Logger } from 'pino';
import type {
  ChargeStore,
  Clock,
  DuplicateCaptureStore,
  GatewayRegistry,
  GatewayStore,
  OrderCommandStore,
  OrdersPort,
  PaymentStore,
  RefundStore,
  WebhookStore,
} from './ports';
import type { GatewaySettingsStore } from './update-gateway-settings';

export interface Actor {
  id: string;
  role: 'buyer' | 'seller' | 'admin';
  /** A seller's store (from the token's `store_id`). */
  storeId?: string;
}

/** The stores, ports, clock and settings the container builds the use cases from (tests swap parts of it). */
export interface UseCaseDeps {
  /** The stores (src/infra/*-store.ts), one per table or aggregate. */
  gatewayStore: GatewayStore;
  payments: PaymentStore;
  charges: ChargeStore;
  webhooks: WebhookStore;
  refunds: RefundStore;
  duplicateCaptures: DuplicateCaptureStore;
  orderCommands: OrderCommandStore;
  orders: OrdersPort;
  gateways: GatewayRegistry;
  clock: Clock;
  logger: Logger;
  /** Admin changes of gateway fees and activation, with their audit. */
  gatewaySettings: GatewaySettingsStore;
  settings: {
    currency: string;
    /** A `processing` payment older than this is taken over by the next process call (crash recovery). */
    staleProcessingSeconds: number;
  };
}
