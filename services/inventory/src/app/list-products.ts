import { parsePriceBound, canSeeSales, type ProductRecord, type ProductSort, type Viewer } from '../domain/product';
import type { CatalogueStore } from '../infra/catalogue-store';

export interface ListProductsQuery {
  category?: string;
  brand?: string;
  store_id?: string;
  /** Case-insensitive match on name and description (`search` is its older name). */
  q?: string;
  search?: string;
  /** On current_price. */
  min_price?: string | number;
  max_price?: string | number;
  in_stock?: boolean;
  sort?: ProductSort;
  page?: number;
  page_size?: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** A product as one reader may see it: sold quantities only for its store's sellers and admins. */
export interface ViewedProduct {
  product: ProductRecord;
  showSales: boolean;
}

/** GET /products/: live products, filtered, sorted and paged. */
export class ListProducts {
  constructor(private readonly store: CatalogueStore) {}

  async execute(q: ListProductsQuery, viewer?: Viewer): Promise<Page<ViewedProduct>> {
    const page = q.page ?? 1;
    const pageSize = q.page_size ?? 20;
    const { total, rows } = await this.store.list(
      {
        category: q.category,
        brand: q.brand,
        storeId: q.store_id,
        text: q.q ?? q.search,
        ...(q.min_price !== undefined ? { minPrice: parsePriceBound(q.min_price, 'min_price').toFixed(2) } : {}),
        ...(q.max_price !== undefined ? { maxPrice: parsePriceBound(q.max_price, 'max_price').toFixed(2) } : {}),
        inStock: q.in_stock,
      },
      q.sort ?? '-created_at',
      page,
      pageSize,
    );
    return { items: rows.map((p) => ({ product: p, showSales: canSeeSales(viewer, p) })), total, page, pageSize };
  }
}
