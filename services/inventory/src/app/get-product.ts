import { assertLive, canSeeSales, type Viewer } from '../domain/product';
import type { CatalogueStore } from '../infra/catalogue-store';
import type { ViewedProduct } from './list-products';

/** A live product with its stock (deleted ones are 404 here; GetProducts still shows them, flagged). */
export class GetProduct {
  constructor(private readonly store: CatalogueStore) {}

  async execute(id: string, viewer?: Viewer): Promise<ViewedProduct> {
    const p = assertLive(id, await this.store.find(id));
    return { product: p, showSales: canSeeSales(viewer, p) };
  }
}
