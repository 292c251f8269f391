import type { AuthUser, Envelope } from '@sudamall/shared';
import {
  assertCanManage,
  assertLive,
  assertNoReservations,
  renamedSize,
  sizeRemoval,
  sizeToChange,
  type ProductRecord,
  type ProductStock,
} from '../domain/product';
import type { CatalogueStore, CatalogueTx } from '../infra/catalogue-store';
import { productUpdated, sizeRenamed, stockChanged } from './catalogue-events';
import type { Clock } from '@sudamall/shared';

/**
 * Renames a size. Refused while units of it are reserved (409 SIZE_HAS_RESERVATIONS: the
 * reservations and their orders name it) and onto another size's name (409 SIZE_EXISTS).
 * `product.size_renamed` lets carts move their lines of it to the new name.
 */
export class RenameSize {
  constructor(
    private readonly store: CatalogueStore,
    private readonly clock: Clock,
  ) {}

  execute(user: AuthUser, id: string, sizeId: string, name: string): Promise<ProductStock> {
    return this.store.transaction(async (tx) => {
      await tx.lockProduct(id);
      const p = assertLive(id, await tx.find(id));
      assertCanManage(user, p);
      const rows = await tx.lockSizes(id);
      const row = sizeToChange(p.hasSizes, rows, sizeId);
      assertNoReservations(row);
      const newName = renamedSize(rows, row, name);
      if (newName === row.size) return afterSizeChange(tx, p, null);
      await tx.renameSize(row.id, newName, this.clock.now());
      // Before product.updated (which no longer lists the old name): carts move their lines over.
      return afterSizeChange(tx, p, [sizeRenamed(id, row, newName)]);
    });
  }
}

/**
 * Removes a size: refused while units are reserved (409 SIZE_HAS_RESERVATIONS); its available
 * units leave the catalogue as a logged adjustment (reason `size_removed`), so stock stays
 * accounted for; sold units stay on the row. `product.updated` and `stock.changed` tell carts.
 */
export class RemoveSize {
  constructor(
    private readonly store: CatalogueStore,
    private readonly clock: Clock,
  ) {}

  async execute(user: AuthUser, id: string, sizeId: string): Promise<void> {
    await this.store.transaction(async (tx) => {
      await tx.lockProduct(id);
      const p = assertLive(id, await tx.find(id));
      assertCanManage(user, p);
      const rows = await tx.lockSizes(id);
      const row = sizeToChange(p.hasSizes, rows, sizeId);
      const { delta } = sizeRemoval(row);
      await tx.removeSize(row.id, this.clock.now());
      if (delta !== 0) await tx.logAdjustments([{ stockId: row.id, productId: id, delta, availableAfter: 0, reason: 'size_removed', actorId: user.id }]);
      await afterSizeChange(tx, p, []);
    });
  }
}

/**
 * After a size was renamed or removed: what the product offers now, announced after `first`
 * (null: nothing changed, nothing to announce).
 */
async function afterSizeChange(tx: CatalogueTx, p: ProductRecord, first: Envelope[] | null): Promise<ProductStock> {
  const stock = await tx.liveStock(p.id);
  if (first) await tx.emit([...first, productUpdated({ ...p, stock }), stockChanged(p.id, p.hasSizes, stock)]);
  return { productId: p.id, hasSizes: p.hasSizes, stock };
}
