// Keeps carts in line with the catalogue: inventory.events are applied to every cart holding the
// product, idempotently (the inbox row and the effect commit together, so a replayed event
// changes nothing) and in order per product (the Kafka key is the product id). Each change is
// recorded for the buyer, who sees it on the next GET /carts/ or POST /carts/validate/.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { claimInbox, money, type Envelope, type Logger } from '@sudamall/shared';
import { reconcileItem, stockCaps, type CartChange, type ProductFacts } from '../domain/reconcile';
import { isUuid, type CartStore } from '../infra/cart-store';
import type { Sql } from '@sudamall/shared';

export const CATALOG_SYNC_CONSUMER = 'cart.catalog-sync';

const Money = Type.String({ pattern: '^\\d{1,10}(\\.\\d{1,2})?$' });
const Count = Type.Integer();
const schemas = {
  // old_price / new_price are what a buyer pays (the sale price while one is on).
  'product.price_changed': Type.Object({ product_id: Type.String({ minLength: 1 }), old_price: Type.String(), new_price: Money }),
  'product.deleted': Type.Object({ product_id: Type.String({ minLength: 1 }) }),
  'product.updated': Type.Object({
    product_id: Type.String({ minLength: 1 }),
    product_name: Type.String(),
    price: Money,
    // What a buyer pays now (sale price or price); absent in events written before sale prices.
    current_price: Type.Optional(Money),
    has_sizes: Type.Boolean(),
    sizes: Type.Array(Type.String()),
  }),
  'stock.changed': Type.Object({
    product_id: Type.String({ minLength: 1 }),
    has_sizes: Type.Boolean(),
    available_quantity: Count,
    sizes: Type.Array(Type.Object({ size: Type.String(), available_quantity: Count })),
  }),
} satisfies Record<string, TSchema>;
type HandledType = keyof typeof schemas;
const SizeRenamed = Type.Object({
  product_id: Type.String({ minLength: 1 }),
  old_size: Type.String({ minLength: 1 }),
  new_size: Type.String({ minLength: 1 }),
});

export type ApplyOutcome = 'applied' | 'duplicate' | 'ignored' | 'invalid';

export interface FactsOfEvent {
  productId: string;
  facts: ProductFacts;
  /** Items checked live after this moment already know better than the event (null: always apply). */
  staleBefore: Date | null;
}

/** What an event says about its product, or null for types the cart does not follow. */
export function factsOfEvent(envelope: Envelope): FactsOfEvent | 'invalid' | null {
  const type = envelope.type as HandledType;
  const schema = schemas[type];
  if (!schema) return null;
  if (!Value.Check(schema, envelope.data)) return 'invalid';
  const occurred = new Date(envelope.occurred_at);
  const staleBefore = Number.isNaN(occurred.getTime()) ? null : occurred;
  switch (type) {
    case 'product.price_changed': {
      const d = envelope.data as Static<(typeof schemas)['product.price_changed']>;
      return { productId: d.product_id, facts: { price: money(d.new_price) }, staleBefore };
    }
    case 'product.deleted': {
      const d = envelope.data;
      // A deletion is final whatever the item saw before.
      return { productId: d.product_id, facts: { deleted: true }, staleBefore: null };
    }
    case 'product.updated': {
      const d = envelope.data as Static<(typeof schemas)['product.updated']>;
      return {
        productId: d.product_id,
        facts: {
          name: d.product_name,
          price: money(d.current_price ?? d.price),
          sizes: { hasSizes: d.has_sizes, names: new Set(d.sizes) },
        },
        staleBefore,
      };
    }
    case 'stock.changed': {
      const d = envelope.data as Static<(typeof schemas)['stock.changed']>;
      return {
        productId: d.product_id,
        facts: {
          stock: {
            hasSizes: d.has_sizes,
            total: d.available_quantity,
            bySize: new Map(d.sizes.map((s) => [s.size, s.available_quantity])),
          },
        },
        staleBefore,
      };
    }
  }
}

export class ApplyCatalogEvent {
  constructor(
    private readonly db: Sql,
    private readonly store: CartStore,
    private readonly logger: Logger,
  ) {}

  async execute(envelope: Envelope): Promise<{ outcome: ApplyOutcome; changes: CartChange[] }> {
    if (envelope.type === 'product.size_renamed') return this.renameSize(envelope);
    const parsed = factsOfEvent(envelope);
    if (parsed === null) return { outcome: 'ignored', changes: [] };
    if (parsed === 'invalid' || !isUuid(envelope.id)) {
      // Retrying cannot fix a malformed message; log it loudly and move on.
      this.logger.error({ event_id: envelope.id, type: envelope.type }, 'catalogue event with invalid data skipped');
      return { outcome: 'invalid', changes: [] };
    }
    // A stock movement (two per checkout of the product) changes only the lines above what is
    // left: those alone are locked, not every line of every cart holding the product. While stock
    // lasts there are none, and the event is only recorded as handled, in one statement.
    const caps = stockCaps(parsed.facts);
    if (caps) {
      const handled = await this.store.claimIfNoneBeyondCaps(CATALOG_SYNC_CONSUMER, envelope.id, parsed.productId, parsed.staleBefore, caps);
      if (handled !== 'beyond') return { outcome: handled === 'claimed' ? 'applied' : 'duplicate', changes: [] };
    }
    return this.db.transaction(async (tx) => {
      if (!(await claimInbox(tx, CATALOG_SYNC_CONSUMER, envelope.id))) return { outcome: 'duplicate' as const, changes: [] };
      const items = caps
        ? await this.store.lockItemsBeyondCaps(tx, parsed.productId, parsed.staleBefore, caps)
        : await this.store.lockItemsOfProduct(tx, parsed.productId, parsed.staleBefore);
      const outcomes = items.map((item) => ({ item, outcome: reconcileItem(item, parsed.facts) }));
      const changes = await this.store.applyOutcomes(tx, outcomes, { seen: false, asOf: parsed.staleBefore, touchKept: false });
      return { outcome: 'applied' as const, changes };
    });
  }

  /**
   * A renamed size is the same stock under a new name: lines of it follow the name (the buyer's
   * choice still holds, so nothing is recorded as a change; the cart shows the new name).
   */
  private async renameSize(envelope: Envelope): Promise<{ outcome: ApplyOutcome; changes: CartChange[] }> {
    if (!Value.Check(SizeRenamed, envelope.data) || !isUuid(envelope.id)) {
      this.logger.error({ event_id: envelope.id, type: envelope.type }, 'catalogue event with invalid data skipped');
      return { outcome: 'invalid', changes: [] };
    }
    const d = envelope.data;
    return this.db.transaction(async (tx) => {
      if (!(await claimInbox(tx, CATALOG_SYNC_CONSUMER, envelope.id))) return { outcome: 'duplicate' as const, changes: [] };
      await this.store.renameSize(tx, d.product_id, d.old_size, d.new_size);
      return { outcome: 'applied' as const, changes: [] };
    });
  }
}
