import { notFound, type AuthUser } from '@sudamall/shared';
import { applyAdjustment, assertCanManage, assertLive, stockSizeFor, type ProductStock } from '../domain/product';
import type { CatalogueStore } from '../infra/catalogue-store';
import { productUpdated, stockChanged } from './catalogue-events';
import type { Clock } from '@sudamall/shared';

/** Sets a row's available quantity (creating a new size of a sized product); logged as an adjustment. */
export class SetStock {
  constructor(
    private readonly store: CatalogueStore,
    private readonly clock: Clock,
  ) {}

  execute(user: AuthUser, id: string, input: { size?: string | null; available_quantity: number }): Promise<ProductStock> {
    return changeStock(this.store, this.clock, user, id, input.size, { kind: 'set', reason: 'set', target: () => input.available_quantity });
  }
}

/** Adds delta (may be negative) to a row's available quantity; logged with the seller's reason. */
export class AdjustStock {
  constructor(
    private readonly store: CatalogueStore,
    private readonly clock: Clock,
  ) {}

  execute(user: AuthUser, id: string, input: { size?: string | null; delta: number; reason: string }): Promise<ProductStock> {
    return changeStock(this.store, this.clock, user, id, input.size, {
      kind: 'adjust',
      reason: input.reason,
      target: (available) => applyAdjustment(available, input.delta),
    });
  }
}

interface StockChange {
  /** `set` may add a size (or bring a removed one back); `adjust` only changes an offered one. */
  kind: 'set' | 'adjust';
  reason: string;
  target: (available: number) => number;
}

async function changeStock(
  store: CatalogueStore,
  clock: Clock,
  user: AuthUser,
  id: string,
  size: string | null | undefined,
  change: StockChange,
): Promise<ProductStock> {
  return store.transaction(async (tx) => {
    // Sizes are added, renamed and removed one at a time per product.
    await tx.lockProduct(id);
    const p = assertLive(id, await tx.find(id));
    assertCanManage(user, p);
    const sz = stockSizeFor(p.hasSizes, size);
    const row = await tx.lockStockRow(id, sz);
    // A new size, or a removed one set again (its row, with its history, comes back).
    const added = !row || row.removed;
    if (added && (change.kind === 'adjust' || !p.hasSizes)) throw notFound('SIZE_NOT_FOUND', `no size ${sz} for this product`, { size: sz });
    const stockId = row ? row.id : await tx.createStockRow(id, sz);
    const before = row ? row.available : 0;
    const after = change.target(before);
    if (after !== before || added) {
      await tx.setAvailable(stockId, after, clock.now());
      if (after !== before || !row) {
        await tx.logAdjustments([{ stockId, productId: id, delta: after - before, availableAfter: after, reason: change.reason, actorId: user.id }]);
      }
    }
    const stock = await tx.liveStock(id);
    // A new size changes what the product offers, not only its stock.
    await tx.emit(added ? [productUpdated({ ...p, stock }), stockChanged(id, p.hasSizes, stock)] : [stockChanged(id, p.hasSizes, stock)]);
    return { productId: id, hasSizes: p.hasSizes, stock };
  });
}
