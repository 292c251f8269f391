// A tiny real inventory peer: grpc-js InventoryService on port 0 with products in memory. Only the
// lookups the cart uses are implemented; the rest answer UNIMPLEMENTED.
import { randomUUID } from 'node:crypto';
import { status, type handleUnaryCall } from '@grpc/grpc-js';
import { inventory } from '@sudamall/proto';
import { createLogger, startGrpcServer, type GrpcServerHandle } from '@sudamall/shared';

export interface FakeProductInput {
  id?: string;
  name?: string;
  price?: string;
  /** A sale price: what the buyer pays (current_price) while set; null ends the sale. */
  salePrice?: string | null;
  deleted?: boolean;
  /** For products without sizes. */
  available?: number;
  /** size → available; makes the product sized. */
  sizes?: Record<string, number>;
}

const unimplemented: handleUnaryCall<any, any> = (_call, callback) =>
  callback({ code: status.UNIMPLEMENTED, details: 'not in the fake', name: 'Error', message: 'not in the fake' });

export class FakeInventory {
  readonly products = new Map<string, inventory.Product>();
  getProductsCalls = 0;
  private handle: GrpcServerHandle | undefined;

  add(input: FakeProductInput = {}): inventory.Product {
    const id = input.id ?? randomUUID();
    const sizes = input.sizes
      ? Object.entries(input.sizes).map(([size, available]) => ({
          sizeId: randomUUID(),
          size,
          availableQuantity: available,
          reservedQuantity: 0,
          soldQuantity: 0,
        }))
      : [];
    const product: inventory.Product = {
      id,
      productName: input.name ?? `Product ${id.slice(0, 6)}`,
      productDescription: '',
      price: input.price ?? '10.00',
      ...(input.salePrice ? { salePrice: input.salePrice } : {}),
      currentPrice: input.salePrice ?? input.price ?? '10.00',
      images: [],
      color: '',
      brand: '',
      category: '',
      storeId: 'store-1',
      ownerId: 'seller-1',
      hasSizes: Boolean(input.sizes),
      deleted: input.deleted ?? false,
      availableQuantity: input.sizes ? sizes.reduce((n, s) => n + s.availableQuantity, 0) : (input.available ?? 10),
      reservedQuantity: 0,
      soldQuantity: 0,
      sizes,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    };
    this.products.set(id, product);
    return product;
  }

  update(id: string, change: Partial<FakeProductInput>): void {
    const p = this.products.get(id);
    if (!p) throw new Error(`no product ${id}`);
    if (change.price !== undefined) p.price = change.price;
    if (change.salePrice !== undefined) p.salePrice = change.salePrice ?? undefined;
    if (change.price !== undefined || change.salePrice !== undefined) p.currentPrice = p.salePrice ?? p.price;
    if (change.name !== undefined) p.productName = change.name;
    if (change.deleted !== undefined) p.deleted = change.deleted;
    if (change.available !== undefined) p.availableQuantity = change.available;
    if (change.sizes !== undefined) {
      p.sizes = Object.entries(change.sizes).map(([size, n]) => ({ sizeId: randomUUID(), size, availableQuantity: n, reservedQuantity: 0, soldQuantity: 0 }));
      p.availableQuantity = p.sizes.reduce((n, s) => n + s.availableQuantity, 0);
    }
  }

  /** Available units of one line, as the real inventory counts them; -1 when it cannot be sold. */
  availableFor(productId: string, size: string): number {
    const p = this.products.get(productId);
    if (!p || p.deleted) return -1;
    if (p.hasSizes) return p.sizes.find((s) => s.size === size)?.availableQuantity ?? -1;
    return size ? -1 : p.availableQuantity;
  }

  implementation(): inventory.InventoryServiceServer {
    return {
      getProducts: (call, callback) => {
        this.getProductsCalls += 1;
        const products: inventory.Product[] = [];
        const missingIds: string[] = [];
        for (const id of new Set(call.request.ids)) {
          const p = this.products.get(id);
          if (p) products.push(p);
          else missingIds.push(id);
        }
        callback(null, { products, missingIds });
      },
      checkAvailability: unimplemented,
      reserve: unimplemented,
      release: unimplemented,
      confirm: unimplemented,
      createSnapshots: unimplemented,
      getSnapshot: unimplemented,
      reserveBatch: unimplemented,
    };
  }

  async start(): Promise<string> {
    this.handle = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      services: [{ definition: inventory.InventoryServiceService, implementation: this.implementation() }],
      logger: createLogger({ name: 'fake-inventory', level: 'silent' }),
    });
    this.handle.setServing(true);
    return `127.0.0.1:${this.handle.port}`;
  }

  async stop(): Promise<void> {
    await this.handle?.close();
  }
}
