import { formatMoney, type AuthUser, type Envelope } from '@sudamall/shared';
import { assertCanManage, assertLive, parsePrice, parseSalePrice, priceOf, pricesChanged, validateImages, type ProductRecord } from '../domain/product';
import type { CatalogueStore } from '../infra/catalogue-store';
import { priceChanged, productDocument, productUpdated } from './catalogue-events';
import type { CreateProductInput } from './create-product';

export type UpdateProductInput = Partial<
  Pick<CreateProductInput, 'product_name' | 'product_description' | 'price' | 'sale_price' | 'images' | 'color' | 'brand' | 'category'>
>;

/**
 * Details, price, sale price, images. A change of what a buyer pays (the price without a sale,
 * or the sale price) emits `product.price_changed` with the old and new current prices, so carts
 * follow it and checkout refuses it until the buyer has seen it (PRICES_CHANGED).
 */
export class UpdateProduct {
  constructor(private readonly store: CatalogueStore) {}

  async execute(user: AuthUser, id: string, input: UpdateProductInput): Promise<ProductRecord> {
    const newPrice = input.price !== undefined ? parsePrice(input.price) : undefined;
    const images = input.images !== undefined ? validateImages(input.images) : undefined;
    return this.store.transaction(async (tx) => {
      // Two changes of one product's prices in turn, each judged against the other's result (a
      // sale price must stay below the price).
      await tx.lockProduct(id);
      const before = assertLive(id, await tx.find(id));
      assertCanManage(user, before);
      const price = newPrice ?? before.price;
      const oldSale = before.salePrice;
      // A sale price left as it was must still be below a new price: the seller changes both.
      const salePrice =
        input.sale_price !== undefined ? parseSalePrice(input.sale_price, price) : oldSale && newPrice ? parseSalePrice(formatMoney(oldSale), price) : oldSale;
      const after = await tx.updateProduct(id, {
        ...(input.product_name !== undefined ? { productName: input.product_name } : {}),
        ...(input.product_description !== undefined ? { productDescription: input.product_description } : {}),
        ...(input.color !== undefined ? { color: input.color } : {}),
        ...(input.brand !== undefined ? { brand: input.brand } : {}),
        ...(input.category !== undefined ? { category: input.category } : {}),
        ...(images !== undefined ? { images } : {}),
        ...(newPrice !== undefined ? { price: newPrice.toFixed(2) } : {}),
        ...(input.sale_price !== undefined ? { salePrice: salePrice?.toFixed(2) ?? null } : {}),
      });
      await tx.recordHistory({ product: after, reason: pricesChanged(before, after) ? 'price_changed' : 'updated', snapshot: productDocument(after) });
      const events: Envelope[] = [];
      if (formatMoney(priceOf(after)) !== formatMoney(priceOf(before))) events.push(priceChanged(before, after));
      events.push(productUpdated(after));
      await tx.emit(events);
      return after;
    });
  }
}
