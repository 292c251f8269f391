// Checkout without an Idempotency-Key (as Stripe's API allows): the retry of an identical
// checkout of the same cart must answer the same order. The cart's version is what the buyer
// sees of it: each line, its quantity and price, and when it last changed. A checkout's key
// is then derived from that version and the request, so a retry lands on the same attempt;
// once the attempt has settled (the lines left the cart), the version the cart is left at is
// recorded as a second key of it, so a retry after the cart was emptied finds it too.
import { createHash } from 'node:crypto';
import type { Decimal } from '@sudamall/shared';

export interface VersionedItem {
  id: string;
  size: string;
  quantity: number;
  currentPrice: Decimal;
  updatedAt: Date;
}

/** Derived keys live in their own namespace; a buyer's own keys are at most 200 characters too. */
export const DERIVED_KEY_PREFIX = 'cart-version:';

export function cartVersion(items: readonly VersionedItem[]): string {
  const lines = [...items]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((i) => [i.id, i.size, i.quantity, i.currentPrice.toFixed(2), i.updatedAt.getTime()]);
  return createHash('sha256').update(JSON.stringify(lines)).digest('hex');
}

/** The key of a checkout sent without one: the same cart version and the same request. */
export function derivedCheckoutKey(version: string, fingerprint: string): string {
  return DERIVED_KEY_PREFIX + createHash('sha256').update(`${version}:${fingerprint}`).digest('hex');
}

export const isDerivedKey = (key: string): boolean => key.startsWith(DERIVED_KEY_PREFIX);
