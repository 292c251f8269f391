/** What the order service needs from the catalogue (inventory over gRPC). */
export interface CatalogProduct {
  id: string;
  name: string;
  price: string;
  storeId: string;
  hasSizes: boolean;
  deleted: boolean;
  sizes: string[];
}

/** What decides whether a line can be ordered: the product as it stood (place-order.ts, assertOrderable). */
export type OrderableFacts = Pick<CatalogProduct, 'id' | 'hasSizes' | 'deleted' | 'sizes'>;

/** A frozen copy of a product as ordered; `data` is kept verbatim with the order item. */
export interface CatalogSnapshot {
  snapshotId: string;
  productId: string;
  productName: string;
  price: string;
  size: string | null;
  storeId: string;
  data: Record<string, unknown>;
  /** The product as it stood when frozen; absent from an inventory older than it (ask getProducts then). */
  product?: OrderableFacts;
}

export interface CatalogPort {
  getProducts(ids: string[]): Promise<{ products: CatalogProduct[]; missingIds: string[] }>;
  /** One snapshot per item, in order; none, and the unknown ids, when a product does not exist. */
  createSnapshots(items: Array<{ productId: string; size: string | null }>, reason: string): Promise<{ snapshots: CatalogSnapshot[]; missingIds: string[] }>;
}

/** The payment service's view of an order's payment, when reachable. */
export interface PaymentStatusPort {
  getPaymentStatus(orderId: string): Promise<{
    paymentId: string;
    status: string;
    amount: string;
    gatewayFee: string;
    totalAmount: string;
    refundedAmount: string;
    gateway: string;
  } | null>;
}
