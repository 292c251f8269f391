// CatalogPort over inventory's gRPC GetProducts: one batched call per request.
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { inventory } from '@sudamall/proto';
import { callUnary, isMoneyString, money, unavailable } from '@sudamall/shared';
import type { CatalogPort } from '../app/ports';
import type { CatalogProduct } from '../domain/catalog';

export class InventoryCatalog implements CatalogPort {
  private readonly client: inventory.InventoryServiceClient;

  constructor(
    url: string,
    private readonly deadlineMs: number,
    creds: ChannelCredentials = credentials.createInsecure(),
  ) {
    this.client = new inventory.InventoryServiceClient(url, creds);
  }

  async getProducts(ids: readonly string[]): Promise<Map<string, CatalogProduct>> {
    const unique = [...new Set(ids)];
    const found = new Map<string, CatalogProduct>();
    if (unique.length === 0) return found;
    const res = await callUnary(this.client.getProducts.bind(this.client), { ids: unique }, { deadlineMs: this.deadlineMs });
    for (const p of res.products) found.set(p.id, toCatalogProduct(p));
    return found;
  }

  close(): void {
    this.client.close();
  }
}

export function toCatalogProduct(p: inventory.Product): CatalogProduct {
  // What the buyer pays now (the sale price while one is on); an older inventory sends only price.
  const price = p.currentPrice !== '' ? p.currentPrice : p.price;
  if (!isMoneyString(price)) throw unavailable('UPSTREAM_INVALID', `inventory sent an invalid price for ${p.id}`);
  return {
    id: p.id,
    name: p.productName,
    price: money(price),
    hasSizes: p.hasSizes,
    deleted: p.deleted,
    available: p.availableQuantity,
    sizes: new Map(p.hasSizes ? p.sizes.map((s) => [s.size, s.availableQuantity]) : []),
  };
}
