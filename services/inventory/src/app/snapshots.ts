import { notFound } from '@sudamall/shared';
import type { SnapshotRecord } from '../domain/product';
import type { CatalogueStore } from '../infra/catalogue-store';
import { productDocument } from './catalogue-events';

/**
 * Freezes the products as they are now, one snapshot per item, all or nothing (an order keeps
 * what the buyer saw, its price being the current price). Deleted products can still be
 * snapshotted (the order may predate it). Kind `order`: not part of the product's history.
 */
export class CreateSnapshots {
  constructor(private readonly store: CatalogueStore) {}

  async execute(items: Array<{ product_id: string; size?: string | null }>, reason: string): Promise<SnapshotRecord[]> {
    const ids = [...new Set(items.map((i) => i.product_id))];
    const byId = new Map((await this.store.findMany(ids)).map((r) => [r.id, r]));
    const missing = ids.filter((i) => !byId.has(i));
    if (missing.length > 0) throw notFound('PRODUCT_NOT_FOUND', `unknown products: ${missing.join(', ')}`, { missing_ids: missing });
    return this.store.recordSnapshots(
      items.flatMap((i) => {
        const product = byId.get(i.product_id);
        return product ? [{ product, reason: reason || 'order', size: i.size ?? '', kind: 'order' as const, snapshot: productDocument(product) }] : [];
      }),
    );
  }
}

/** One snapshot by id (an order's item names it). */
export class GetSnapshot {
  constructor(private readonly store: CatalogueStore) {}

  async execute(snapshotId: string): Promise<SnapshotRecord> {
    const h = await this.store.findSnapshot(snapshotId);
    if (!h) throw notFound('SNAPSHOT_NOT_FOUND', `no snapshot ${snapshotId}`, { snapshot_id: snapshotId });
    return h;
  }
}
