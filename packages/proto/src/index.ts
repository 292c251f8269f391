// One namespace per service so names that repeat across contracts (ShortLine, ...) never clash:
//   import { inventory } from '@sudamall/proto';
//   new inventory.InventoryServiceClient(url, credentials);
export * as inventory from './gen/sudamall/inventory/v1/inventory';
export * as cart from './gen/sudamall/cart/v1/cart';
export * as order from './gen/sudamall/order/v1/order';
export * as payment from './gen/sudamall/payment/v1/payment';
