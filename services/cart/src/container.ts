// Wires the database, the peers and the use cases once; HTTP routes, gRPC handlers and Kafka
// consumers all take their use cases from here.
import { createSql, grpcChannelCredentials, grpcTlsFromConfig, ParkedMessages, SqlParkStore, type Logger, type Sql } from '@sudamall/shared';
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

export interface Container {
  db: Sql;
  useCases: CartUseCases;
  /** Messages the cart's consumers gave up on (their admin endpoints, the saga dashboard). */
  parked: ParkedMessages;
  close(): Promise<void>;
}

export interface ContainerOverrides {
  /** Tests and tools may bring their own peers. */
  catalog?: CatalogPort;
  orders?: OrderPlacementPort;
  db?: Sql;
}

type CloseablePort = { close?: () => void };

export function createContainer(
  config: Pick<
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
  >,
  logger: Logger,
  overrides: ContainerOverrides = {},
): Container {
  // The cart's data access is node-postgres through the shared runner, with the SQL written out
  // (infra/): Prisma owns the schema and its migrations (prisma/), but at run time its raw-query
  // path costs 2.5-3x the latency of node-postgres for the same statements on this machine
  // (measured: the cart read statement at 32 concurrent callers, pool 10: ~1,250-1,600/s with pg,
  // ~430-610/s through Prisma), and the cart's reads and adds are the hottest paths of the shop.
  const db = overrides.db ?? createSql(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  // mTLS to the peers when GRPC_TLS_* are set (plaintext otherwise).
  const grpcCreds = overrides.catalog && overrides.orders ? undefined : grpcChannelCredentials(grpcTlsFromConfig(config));
  const catalog = overrides.catalog ?? new InventoryCatalog(config.INVENTORY_GRPC_URL, config.INVENTORY_TIMEOUT_MS, grpcCreds);
  const orders = overrides.orders ?? new GrpcOrderPlacement(config.ORDER_GRPC_URL, config.ORDER_TIMEOUT_MS, grpcCreds);
  const carts = new CartStore(db);
  const checkouts = new CheckoutStore(db);
  const parked = new ParkedMessages(new SqlParkStore((sql, values) => db.query(sql, values)), { logger });
  const useCases: CartUseCases = {
    getCart: new GetCart(carts),
    addItem: new AddItem(carts, catalog),
    updateItem: new UpdateItem(carts, catalog),
    removeItem: new RemoveItem(carts),
    clearCart: new ClearCart(carts),
    validateCart: new ValidateCart(db, carts, catalog),
    checkout: new Checkout(db, carts, checkouts, catalog, orders, { waitMs: config.CHECKOUT_WAIT_MS }),
    applyCatalogEvent: new ApplyCatalogEvent(db, carts, logger),
    settleCheckout: new SettleCheckout(checkouts),
  };
  return {
    db,
    useCases,
    parked,
    async close() {
      (catalog as CloseablePort).close?.();
      (orders as CloseablePort).close?.();
      if (!overrides.db) await db.close();
    },
  };
}
