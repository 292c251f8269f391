// What the cart's use cases need from other services. Implemented over gRPC in infra/ and by
// in-memory fakes in unit tests.
import type { Decimal } from '@sudamall/shared';
import type { CatalogProduct } from '../domain/catalog';

export interface CatalogPort {
  /**
   * One batched lookup for every id (deleted products included, flagged). Ids that match no
   * product are absent from the map. Throws DomainError unavailable when inventory is down.
   */
  getProducts(ids: readonly string[]): Promise<Map<string, CatalogProduct>>;
}

export interface OrderLine {
  productId: string;
  /** "" for products without sizes. */
  size: string;
  quantity: number;
}

export interface PlaceOrderCommand {
  idempotencyKey: string;
  userId: string;
  lines: OrderLine[];
  /** "" when addressId names a saved address of the buyer instead. */
  shippingAddress: string;
  addressId?: string;
  notes: string;
  /** How long order may wait for the stock reservation outcome before answering. */
  waitMs: number;
}

export interface PlacedOrderItem {
  productId: string;
  productName: string;
  size: string;
  quantity: number;
  price: Decimal;
}

export interface ShortLine {
  product_id: string;
  size: string | null;
  requested: number;
  available: number;
  code: string;
}

export interface PlacedOrder {
  orderId: string;
  /** pending | under_paying | processing | shipped | delivered | cancelled */
  status: string;
  totalAmount: Decimal;
  /** ISO timestamp, null until stock is reserved. */
  paymentExpiresAt: string | null;
  cancelReason: string | null;
  items: PlacedOrderItem[];
  shortLines: ShortLine[];
}

export interface OrderPlacementPort {
  /** Idempotent by (userId, idempotencyKey) on order's side. */
  placeOrder(command: PlaceOrderCommand): Promise<PlacedOrder>;
}
