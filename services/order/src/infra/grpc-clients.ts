import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { isDomainError, promisifyUnary } from '@sudamall/shared';
import { cart, inventory, payment } from '@sudamall/proto';
import type { CartCheckoutInput, CartCheckoutPort } from '../app/order-from-cart';
import type { CatalogPort, CatalogSnapshot, PaymentStatusPort } from '../app/catalog';

/** CreateSnapshots' NOT_FOUND names the unknown products in details.missing_ids. */
function missingIdsOf(details: unknown): string[] {
  const ids = (details as { missing_ids?: unknown } | undefined)?.missing_ids;
  return Array.isArray(ids) ? ids.map(String) : [];
}

/** The catalogue over inventory's gRPC API (GetProducts, CreateSnapshots). */
export class InventoryCatalog implements CatalogPort {
  readonly client: InstanceType<typeof inventory.InventoryServiceClient>;
  private readonly getProductsCall;
  private readonly createSnapshotsCall;

  constructor(
    url: string,
    private readonly deadlineMs = 5000,
    creds: ChannelCredentials = credentials.createInsecure(),
  ) {
    this.client = new inventory.InventoryServiceClient(url, creds);
    this.getProductsCall = promisifyUnary(this.client, 'getProducts');
    this.createSnapshotsCall = promisifyUnary(this.client, 'createSnapshots');
  }

  async getProducts(ids: string[]) {
    const res = await this.getProductsCall({ ids }, { deadlineMs: this.deadlineMs });
    return {
      products: res.products.map((p) => ({
        id: p.id,
        name: p.productName,
        // What the buyer pays now (the sale price while one is on); an older inventory sends only price.
        price: p.currentPrice || p.price,
        storeId: p.storeId,
        hasSizes: p.hasSizes,
        deleted: p.deleted,
        sizes: p.sizes.map((s) => s.size),
      })),
      missingIds: res.missingIds,
    };
  }

  async createSnapshots(items: Array<{ productId: string; size: string | null }>, reason: string) {
    let res;
    try {
      res = await this.createSnapshotsCall(
        { items: items.map((i) => ({ productId: i.productId, size: i.size ?? '' })), reason },
        { deadlineMs: this.deadlineMs },
      );
    } catch (e) {
      // All or nothing: an unknown product is answered with the ids, and nothing was written.
      // Without readable ids the refusal itself goes up (a 404 still, not an empty answer).
      const missingIds = isDomainError(e) && e.code === 'PRODUCT_NOT_FOUND' ? missingIdsOf(e.details) : [];
      if (missingIds.length > 0) return { snapshots: [], missingIds };
      throw e;
    }
    const snapshots = res.snapshots.map((s): CatalogSnapshot => ({
      snapshotId: s.snapshotId,
      productId: s.productId,
      productName: s.productName,
      // The line's price: what the buyer paid at that moment (an older inventory sends only price).
      price: s.currentPrice || s.price,
      size: s.size || null,
      storeId: s.storeId,
      data: {
        snapshot_id: s.snapshotId,
        product_id: s.productId,
        product_name: s.productName,
        product_description: s.productDescription,
        price: s.price,
        sale_price: s.salePrice ?? null,
        current_price: s.currentPrice || s.price,
        color: s.color,
        brand: s.brand,
        category: s.category,
        size: s.size || null,
        store_id: s.storeId,
        created_at: s.createdAt,
      },
      ...(s.productState
        ? { product: { id: s.productId, deleted: s.productState.deleted, hasSizes: s.productState.hasSizes, sizes: s.productState.sizes } }
        : {}),
    }));
    return { snapshots, missingIds: [] };
  }

  close(): void {
    this.client.close();
  }
}

/** Cart's CheckoutCart ("create order from cart"): the deadline covers cart's own wait for the reservation. */
export class CartCheckoutClient implements CartCheckoutPort {
  readonly client: InstanceType<typeof cart.CartServiceClient>;
  private readonly call;

  constructor(
    url: string,
    private readonly deadlineMs = 20000,
    creds: ChannelCredentials = credentials.createInsecure(),
  ) {
    this.client = new cart.CartServiceClient(url, creds);
    this.call = promisifyUnary(this.client, 'checkoutCart');
  }

  async checkoutCart(input: CartCheckoutInput) {
    const r = await this.call(
      {
        userId: input.userId,
        idempotencyKey: input.idempotencyKey ?? '',
        shippingAddress: input.shippingAddress ?? '',
        addressId: input.addressId ?? '',
        notes: input.notes ?? '',
      },
      { deadlineMs: this.deadlineMs },
    );
    return { orderId: r.orderId, replayed: r.replayed };
  }

  close(): void {
    this.client.close();
  }
}

/** The payment service's GetPaymentStatus; null when the order has no payment yet. */
export class PaymentStatusClient implements PaymentStatusPort {
  readonly client: InstanceType<typeof payment.PaymentServiceClient>;
  private readonly call;

  constructor(
    url: string,
    private readonly deadlineMs = 1500,
    creds: ChannelCredentials = credentials.createInsecure(),
  ) {
    this.client = new payment.PaymentServiceClient(url, creds);
    this.call = promisifyUnary(this.client, 'getPaymentStatus');
  }

  async getPaymentStatus(orderId: string) {
    try {
      const r = await this.call({ orderId }, { deadlineMs: this.deadlineMs });
      return {
        paymentId: r.paymentId,
        status: r.status,
        amount: r.amount,
        gatewayFee: r.gatewayFee,
        totalAmount: r.totalAmount,
        refundedAmount: r.refundedAmount,
        gateway: r.gateway,
      };
    } catch (err) {
      if ((err as { kind?: string }).kind === 'not_found') return null;
      throw err;
    }
  }

  close(): void {
    this.client.close();
  }
}
