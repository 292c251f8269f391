import { formatMoney } from '@sudamall/shared';
import { lineAvailability, priceOf, priceString } from '../domain/product';
import type { CatalogueStore } from '../infra/catalogue-store';

/** One line's answer (snake_case: it is CheckAvailability's contract, mapped field by field to protobuf). */
export interface AvailabilityLine {
  product_id: string;
  size: string;
  requested: number;
  available: boolean;
  available_quantity: number;
  /** '' when available; else INSUFFICIENT_STOCK, PRODUCT_NOT_FOUND, PRODUCT_UNAVAILABLE, SIZE_* or INVALID_QUANTITY */
  code: string;
  /** '' when the product is not found. */
  price: string;
  /** What a buyer pays now ('' when the product is not found). */
  current_price: string;
  product_name: string;
}

/** Read-only check of order lines (cart validation): never reserves anything. */
export class CheckAvailability {
  constructor(private readonly store: CatalogueStore) {}

  async execute(lines: Array<{ product_id: string; size?: string | null; quantity: number }>): Promise<{ lines: AvailabilityLine[]; all_available: boolean }> {
    const byId = new Map((await this.store.findMany([...new Set(lines.map((l) => l.product_id))])).map((r) => [r.id, r]));
    const out = lines.map((l): AvailabilityLine => {
      const size = l.size ?? '';
      const p = byId.get(l.product_id);
      const base = {
        product_id: l.product_id,
        size,
        requested: l.quantity,
        price: p ? priceString(p.price) : '',
        current_price: p ? formatMoney(priceOf(p)) : '',
        product_name: p?.productName ?? '',
      };
      const { available, availableQuantity, code } = lineAvailability(p, size, l.quantity);
      return { ...base, available, available_quantity: availableQuantity, code };
    });
    return { lines: out, all_available: out.every((l) => l.available) };
  }
}
