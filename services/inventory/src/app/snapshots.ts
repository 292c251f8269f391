import { notFound } from '@sudamall/shared';
import type { SnapshotRecord } from '../domain/product';
import type { CatalogueStore } from '../infra/catalogue-store';

/**
 * Freezes the products as they are now, one snapshot per item, all or nothing (an order keeps
 * what the buyer saw, its price being the current price). Deleted products can still be
 * snapshotted (the order may predate it). Kind `order`: not part of the product's history.
 */
export class CreateSnapshots {
  constructor(private readonly store: CatalogueStore) {}

  async execute(items: Array<{ product_id: string; size?: string | null }>, reason: string): Promise<SnapshotRecord[]> {
    // One statement (read and write together: once per placed order); it writes nothing when a
    // product is missing. Its snapshot JSON is productDocument's (app/catalogue-events.ts).
    const { missing, snapshots } = await this.store.recordOrderSnapshots(
      items.map((i) => ({ productId: i.product_id, size: i.size ?? '' })),
      reason || 'order',
    );
    if (missing.length > 0) throw notFound('PRODUCT_NOT_FOUND', `unknown products: ${missing.join(', ')}`, { missing_ids: missing });
    return snapshots;
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
