import type { AuthUser } from '@sudamall/shared';
import { parsePrice, parseSalePrice, planInitialStock, storeForNewProduct, validateImages, type ProductRecord, type SizeQuantity } from '../domain/product';
import type { CatalogueStore } from '../infra/catalogue-store';
import { productDocument, productUpdated, stockChanged } from './catalogue-events';

export interface CreateProductInput {
  product_name: string;
  product_description?: string;
  price: string | number;
  sale_price?: string | number | null;
  images?: string[];
  color?: string;
  brand?: string;
  category?: string;
  store_id?: string;
  has_sizes?: boolean;
  available_quantity?: number;
  sizes?: SizeQuantity[];
}

/** A seller lists a product in their store (an admin names the store): its stock logged, its history begun, announced. */
export class CreateProduct {
  constructor(private readonly store: CatalogueStore) {}

  async execute(user: AuthUser, input: CreateProductInput): Promise<ProductRecord> {
    const storeId = storeForNewProduct(user, input.store_id);
    const price = parsePrice(input.price);
    const salePrice = input.sale_price === undefined ? null : parseSalePrice(input.sale_price, price);
    const images = validateImages(input.images ?? []);
    const plan = planInitialStock(input);
    return this.store.transaction(async (tx) => {
      const created = await tx.createProduct({
        productName: input.product_name,
        productDescription: input.product_description ?? '',
        price: price.toFixed(2),
        salePrice: salePrice?.toFixed(2) ?? null,
        images,
        color: input.color ?? '',
        brand: input.brand ?? '',
        category: input.category ?? '',
        storeId,
        ownerId: user.id,
        hasSizes: plan.hasSizes,
        stock: plan.rows.map((r) => ({ size: r.size, available: r.available })),
      });
      await tx.logAdjustments(
        created.stock.map((s) => ({
          stockId: s.id,
          productId: created.id,
          delta: s.available,
          availableAfter: s.available,
          reason: 'initial',
          actorId: user.id,
        })),
      );
      await tx.recordHistory({ product: created, reason: 'created', snapshot: productDocument(created) });
      await tx.emit([productUpdated(created), stockChanged(created.id, created.hasSizes, created.stock)]);
      return created;
    });
  }
}
