import type { Decimal } from '@sudamall/shared';

/** What the cart needs to know about a product, as inventory reports it right now. */
export interface CatalogProduct {
  id: string;
  name: string;
  price: Decimal;
  hasSizes: boolean;
  deleted: boolean;
  /** Available units of a product without sizes (the sum over sizes otherwise). */
  available: number;
  /** size → available units; empty for products without sizes. */
  sizes: ReadonlyMap<string, number>;
}

/** The cart's one spelling of "no size": the empty string (stored, and unique per cart+product). */
export const NO_SIZE = '';

export function normalizeSize(size: string | null | undefined): string {
  return (size ?? '').trim();
}

/** Sizes travel as null in JSON when there is none. */
export function sizeForJson(size: string): string | null {
  return size === NO_SIZE ? null : size;
}
