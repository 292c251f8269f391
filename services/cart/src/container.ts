// Wires the database, the peers and the use cases once; HTTP routes, gRPC handlers and Kafka
// consumers all take their use cases from here.
import {
  createParkedMessages,
  createServiceMessaging,
  createSql,
  grpcChannelCredentials,
  grpcTlsFromConfig,
  type KafkaBus,
  type Logger,
  type ParkedMessages,
  type Sql,
} from '@sudamall/shared';
import type { ServiceContainer } from '@sudamall/shared/service';
import { AddItem } from './app/add-item';
import { ApplyCatalogEvent } from './app/apply-catalog-event';
import { Checkout } from './app/checkout';
import { GetCart } from './app/get-cart';
import type { CatalogPort, OrderPlacementPort } from './app/ports';
import { SettleCheckout } from './app/settle-checkout';
import { ClearCart, RemoveItem, UpdateItem } from './app/update-item';
import { ValidateCart } from './app/validate-cart';
import type { CartConfig } from './config';
import { CartStore } from './infra/cart-store';
import { CheckoutStore } from './infra/checkout-store';
import { InventoryCatalog } from './infra/inventory-catalog';
import { GrpcOrderPlacement } from './infra/order-placement';

export interface CartUseCases {
  getCart: GetCart;
  addItem: AddItem;
  updateItem: UpdateItem;
  removeItem: RemoveItem;
  clearCart: ClearCart;
  validateCart: ValidateCart;
  checkout: Checkout;
  applyCatalogEvent: ApplyCatalogEvent;
  settleCheckout: SettleCheckout;
}

export interface Container extends ServiceContainer {
  sql: Sql;
  /** The carts' store (the live feed reads unseen changes through it). */
  carts: CartStore;
  useCases: CartUseCases;
  /** Messages the cart's consumers gave up on (their admin endpoints, the saga dashboard). */
  parked: ParkedMessages;
  /** Only with CONSUMERS_ENABLED (the consumers' bus; the cart publishes nothing). */
  bus?: KafkaBus;
  ping(): Promise<unknown>;
}

export interface ContainerOverrides {
  /** Tests and tools may bring their own peers. */
  catalog?: CatalogPort;
  orders?: OrderPlacementPort;
  sql?: Sql;
}

type CloseablePort = { close?: () => void };

/** What the container reads; the Kafka settings only with CONSUMERS_ENABLED (tests leave them out). */
export type ContainerConfig = Pick<
  CartConfig,
  | 'DATABASE_URL'
  | 'DATABASE_POOL_SIZE'
  | 'INVENTORY_GRPC_URL'
  | 'ORDER_GRPC_URL'
  | 'GRPC_TLS_CA'
  | 'GRPC_TLS_CERT'
  | 'GRPC_TLS_KEY'
  | 'INVENTORY_TIMEOUT_MS'
  | 'ORDER_TIMEOUT_MS'
  | 'CHECKOUT_WAIT_MS'
> &
  Partial<CartConfig>;

export function createContainer(config: ContainerConfig, logger: Logger, overrides: ContainerOverrides = {}): Container {
  // node-postgres through the shared runner, not Prisma: the benchmark figure is beside the
  // statements (infra/cart-store.ts).
  const sql = overrides.sql ?? createSql(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  // mTLS to the peers when GRPC_TLS_* are set (plaintext otherwise).
  const grpcCreds = overrides.catalog && overrides.orders ? undefined : grpcChannelCredentials(grpcTlsFromConfig(config));
  const catalog = overrides.catalog ?? new InventoryCatalog(config.INVENTORY_GRPC_URL, config.INVENTORY_TIMEOUT_MS, grpcCreds);
  const orders = overrides.orders ?? new GrpcOrderPlacement(config.ORDER_GRPC_URL, config.ORDER_TIMEOUT_MS, grpcCreds);
  const carts = new CartStore(sql);
  const checkouts = new CheckoutStore(sql);
  const parked = createParkedMessages(sql, logger);
  // The consumers' bus parks into the cart's own parked_messages.
  const messaging = config.CONSUMERS_ENABLED ? createServiceMessaging({ service: 'cart', config: config as CartConfig, logger, parked }) : undefined;
  const useCases: CartUseCases = {
    getCart: new GetCart(carts),
    addItem: new AddItem(carts, catalog),
    updateItem: new UpdateItem(carts, catalog),
    removeItem: new RemoveItem(carts),
    clearCart: new ClearCart(carts),
    validateCart: new ValidateCart(sql, carts, catalog),
    checkout: new Checkout(sql, carts, checkouts, catalog, orders, { waitMs: config.CHECKOUT_WAIT_MS }),
    applyCatalogEvent: new ApplyCatalogEvent(sql, carts, logger),
    settleCheckout: new SettleCheckout(checkouts),
  };
  return {
    sql,
    carts,
    useCases,
    parked,
    bus: messaging?.bus,
    ping: () => sql.query('SELECT 1'),
    async close() {
      // The consumers were drained by the kernel; the bus disconnects, then the peers and the pool.
      await messaging?.close();
      (catalog as CloseablePort).close?.();
      (orders as CloseablePort).close?.();
      if (!overrides.sql) await sql.close();
    },
  };
}
