import type { ProductRecord } from '../domain/product';
import type { CatalogueStore } from '../infra/catalogue-store';

/** Batch lookup for other services: deleted products included (flagged), unknown ids listed. */
export class GetProducts {
  constructor(private readonly store: CatalogueStore) {}

  async execute(ids: string[]): Promise<{ products: ProductRecord[]; missingIds: string[] }> {
    const unique = [...new Set(ids)];
    const byId = new Map((await this.store.findMany(unique)).map((r) => [r.id, r]));
    return {
      products: unique.flatMap((id) => byId.get(id) ?? []),
      missingIds: unique.filter((id) => !byId.has(id)),
    };
  }
}
