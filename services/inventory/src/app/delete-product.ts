import type { AuthUser } from '@sudamall/shared';
import { assertCanManage, assertLive } from '../domain/product';
import type { CatalogueStore } from '../infra/catalogue-store';
import { productDeleted, productDocument } from './catalogue-events';
import type { Clock } from '@sudamall/shared';

/** Soft delete: no longer listed or sold; its history and the orders' snapshots stay. */
export class DeleteProduct {
  constructor(
    private readonly store: CatalogueStore,
    private readonly clock: Clock,
  ) {}

  async execute(user: AuthUser, id: string): Promise<void> {
    await this.store.transaction(async (tx) => {
      const p = assertLive(id, await tx.find(id));
      assertCanManage(user, p);
      const deleted = await tx.softDelete(id, this.clock.now());
      await tx.recordHistory({ product: deleted, reason: 'deleted', snapshot: productDocument(deleted) });
      await tx.emit([productDeleted(p.id)]);
    });
  }
}
