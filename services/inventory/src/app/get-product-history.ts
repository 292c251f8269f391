import { productNotFound, type SnapshotRecord } from '../domain/product';
import type { CatalogueStore } from '../infra/catalogue-store';
import type { Page } from './list-products';

/**
 * The product's change history (creation, every change of its details or prices, deletion),
 * newest first. Order snapshots are not in it: each order keeps its own on its items.
 */
export class GetProductHistory {
  constructor(private readonly store: CatalogueStore) {}

  async execute(id: string, page = 1, pageSize = 20): Promise<Page<SnapshotRecord>> {
    if (!(await this.store.exists(id))) throw productNotFound(id);
    const { total, rows } = await this.store.history(id, page, pageSize);
    return { items: rows, total, page, pageSize };
  }
}
