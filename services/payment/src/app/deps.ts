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
  RefundQueue,
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
  /** Set by the container: saga refunds and voids are sent outside the Kafka handler. */
  refundQueue?: RefundQueue;
  /** Admin changes of gateway fees and activation, with their audit. */
  gatewaySettings: GatewaySettingsStore;
  settings: {
    currency: string;
    /** A `processing` payment older than this is taken over by the next process call (crash recovery). */
    staleProcessingSeconds: number;
  };
}
