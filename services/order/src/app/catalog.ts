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

/** A frozen copy of a product as ordered; `data` is kept verbatim with the order item. */
export interface CatalogSnapshot {
  snapshotId: string;
  productId: string;
  productName: string;
  price: string;
  size: string | null;
  storeId: string;
  data: Record<string, unknown>;
}

export interface CatalogPort {
  getProducts(ids: string[]): Promise<{ products: CatalogProduct[]; missingIds: string[] }>;
  createSnapshots(items: Array<{ productId: string; size: string | null }>, reason: string): Promise<CatalogSnapshot[]>;
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
