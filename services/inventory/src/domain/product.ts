// Catalogue rules with no I/O: prices, sizes, who may change a product.
import { conflict, forbidden, formatMoney, invalid, money, type AuthUser } from '@sudamall/shared';
import type DecimalBase from 'decimal.js';

export const MAX_PRICE = '9999999999.99';

/** A price as JSON may carry it: "19.99" or 19.99, at most two decimals, above zero. */
export function parsePrice(input: unknown): DecimalBase {
  const text = typeof input === 'number' && Number.isFinite(input) ? String(input) : input;
  if (typeof text !== 'string' || !/^\d{1,10}(\.\d{1,2})?$/.test(text.trim())) {
    throw invalid('INVALID_PRICE', 'price must be a positive amount with at most two decimals, e.g. "19.99"', { price: input as never });
  }
  const d = money(text.trim());
  if (d.lte(0)) throw invalid('INVALID_PRICE', 'price must be greater than zero', { price: input as never });
  return d;
}

export interface SizeQuantity {
  size: string;
  available_quantity: number;
}

export interface StockPlan {
  hasSizes: boolean;
  /** size ('' without sizes) → initial available quantity */
  rows: Array<{ size: string; available: number }>;
}

/** How a new product's stock is laid out, from `has_sizes` / `available_quantity` / `sizes`. */
export function planInitialStock(input: { has_sizes?: boolean; available_quantity?: number; sizes?: SizeQuantity[] }): StockPlan {
  const hasSizes = input.has_sizes ?? (input.sizes !== undefined && input.sizes.length > 0);
  if (hasSizes) {
    if (input.available_quantity !== undefined) {
      throw invalid('SIZES_REQUIRED', 'a product with sizes takes sizes: [{ size, available_quantity }], not available_quantity');
    }
    if (!input.sizes || input.sizes.length === 0) {
      throw invalid('SIZES_REQUIRED', 'a product with sizes needs at least one size');
    }
    const seen = new Set<string>();
    for (const s of input.sizes) {
      const size = s.size.trim();
      if (size === '') throw invalid('INVALID_SIZE', 'a size cannot be empty');
      if (seen.has(size)) throw invalid('DUPLICATE_SIZE', `size ${size} appears twice`, { size });
      seen.add(size);
    }
    return { hasSizes: true, rows: input.sizes.map((s) => ({ size: s.size.trim(), available: s.available_quantity })) };
  }
  if (input.sizes && input.sizes.length > 0) {
    throw invalid('SIZES_NOT_ALLOWED', 'sizes are only for products with has_sizes: true');
  }
  return { hasSizes: false, rows: [{ size: '', available: input.available_quantity ?? 0 }] };
}

/** The stock row a seller's stock change targets. */
export function stockSizeFor(hasSizes: boolean, size: string | undefined | null): string {
  const s = (size ?? '').trim();
  if (hasSizes && s === '') throw invalid('SIZE_REQUIRED', 'this product has sizes: say which size');
  if (!hasSizes && s !== '') throw invalid('SIZE_NOT_ALLOWED', 'this product has no sizes');
  return s;
}

/** Only the seller whose store owns the product, or an admin, may change it. */
export function assertCanManage(user: AuthUser, product: { storeId: string }): void {
  if (user.role === 'admin') return;
  if (user.role === 'seller' && user.storeId !== undefined && user.storeId === product.storeId) return;
  throw forbidden('FORBIDDEN', 'only the seller of the store that owns this product may change it');
}

/** The store a new product belongs to: the seller's own (admins name one). */
export function storeForNewProduct(user: AuthUser, requested: string | undefined): string {
  if (user.role === 'seller') {
    if (!user.storeId) throw forbidden('FORBIDDEN', 'a seller token without store_id cannot create products');
    if (requested !== undefined && requested !== user.storeId) {
      throw forbidden('FORBIDDEN', 'sellers create products in their own store only');
    }
    return user.storeId;
  }
  if (user.role === 'admin') {
    if (!requested) throw invalid('STORE_REQUIRED', 'an admin must give the store_id of the new product');
    return requested;
  }
  throw forbidden('FORBIDDEN', 'only sellers create products');
}

/** A seller's adjustment cannot take available stock below zero (reserved and sold are not theirs to change). */
export function applyAdjustment(available: number, delta: number): number {
  if (!Number.isInteger(delta) || delta === 0) throw invalid('INVALID_DELTA', 'delta must be a non-zero integer');
  const after = available + delta;
  if (after < 0) {
    throw conflict('INSUFFICIENT_STOCK', `only ${available} available: cannot remove ${-delta}`, { available, delta });
  }
  return after;
}

export const priceString = (d: { toString(): string }) => formatMoney(money(d.toString()));
