import type { Logger } from 'pino';
import type { Clock, GatewayRegistry, OrdersPort, PaymentRepository } from './ports';

export interface Actor {
  id: string;
  role: 'buyer' | 'seller' | 'admin';
  /** A seller's store (from the token's `store_id`). */
  storeId?: string;
}

export interface UseCaseDeps {
  repo: PaymentRepository;
  orders: OrdersPort;
  gateways: GatewayRegistry;
  clock: Clock;
  logger: Logger;
  settings: {
    currency: string;
    /** A `processing` payment older than this is taken over by the next process call (crash recovery). */
    staleProcessingSeconds: number;
  };
}
