// Catalogue rules with no I/O: prices, sizes, who may change a product.
import { conflict, forbidden, formatMoney, invalid, money, notFound, unprocessable, type AuthUser } from '@sudamall/shared';
import type DecimalBase from 'decimal.js';
import { ReserveCodes, resolveLine } from './reservation';

/** One stock row as the catalogue offers it (a product without sizes has one, size ''). */
export interface StockRecord {
  id: string;
  size: string;
  available: number;
  reserved: number;
  sold: number;
}

/** A product with its live stock rows (removed sizes are left out), as the stores read it. */
export interface ProductRecord {
  id: string;
  productName: string;
  productDescription: string;
  price: DecimalBase;
  salePrice: DecimalBase | null;
  images: string[];
  color: string;
  brand: string;
  category: string;
  storeId: string;
  ownerId: string;
  hasSizes: boolean;
  deletedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  stock: StockRecord[];
}

/** A product's live stock rows (what a seller's stock or size change answers with). */
export interface ProductStock {
  productId: string;
  hasSizes: boolean;
  stock: StockRecord[];
}

/** A frozen copy of a product: a history entry (kind `change`) or an order's snapshot (kind `order`). */
export interface SnapshotRecord {
  id: string;
  productId: string;
  productName: string;
  productDescription: string;
  price: DecimalBase;
  salePrice: DecimalBase | null;
  /** null on rows written before current prices were stored: the price was what a buyer paid. */
  currentPrice: DecimalBase | null;
  color: string;
  brand: string;
  category: string;
  size: string;
  storeId: string;
  reason: string;
  createdAt: Date;
  /** The product as it stood, for whoever decides from the snapshot alone (order's placement); only on snapshots just taken. */
  productState?: { deleted: boolean; hasSizes: boolean; sizes: string[] };
}

/** Who reads: sold quantities are shown to the product's store's sellers and admins only. */
export type Viewer = AuthUser | null | undefined;

/** What a buyer pays for this product now. */
export function priceOf(p: Pick<ProductRecord, 'price' | 'salePrice'>): DecimalBase {
  return currentPrice(p.price, p.salePrice);
}

/** Whether a change touched the price or the sale price (its history entry says `price_changed`). */
export function pricesChanged(before: Pick<ProductRecord, 'price' | 'salePrice'>, after: Pick<ProductRecord, 'price' | 'salePrice'>): boolean {
  const text = (d: DecimalBase | null) => (d === null ? 'null' : formatMoney(d));
  return text(before.price) !== text(after.price) || text(before.salePrice) !== text(after.salePrice);
}

/** A live product (a soft-deleted one is gone for everyone but other services' batch reads). */
export function assertLive<P extends { deletedAt: Date | null }>(id: string, p: P | null | undefined): P {
  if (!p || p.deletedAt) throw productNotFound(id);
  return p;
}

export const productNotFound = (id: string) => notFound('PRODUCT_NOT_FOUND', `no product ${id}`, { product_id: id });

export const MAX_PRICE = '9999999999.99';

/** How GET /products/ may be sorted: by current price, by creation (`newest` = `-created_at`), by name. */
export const PRODUCT_SORTS = ['-created_at', 'created_at', 'newest', 'price', '-price', 'name', '-name'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];

/**
 * What the REST schema accepts as a price string: parsePrice's digits, with a non-zero digit
 * somewhere (the lookahead), so "0" and "0.00" are schema-invalid rather than schema-valid and refused.
 */
export const PRICE_PATTERN = '^(?=[0-9.]*[1-9])[0-9]{1,10}(?:\\.[0-9]{1,2})?$';

/**
 * A JSON number as a price: a whole number of cents, read within float precision (0.57 * 100 is
 * 56.99999999999999) and the same tolerance as the REST schema's multipleOf (a thousandth of a cent).
 */
function numberText(n: number): unknown {
  if (!Number.isFinite(n)) return n;
  const cents = Math.round(n * 100);
  return Math.abs(n * 100 - cents) < 1e-3 ? (cents / 100).toFixed(2) : String(n);
}

/** A price as JSON may carry it: "19.99" or 19.99, at most two decimals, above zero. */
export function parsePrice(input: unknown): DecimalBase {
  const text = typeof input === 'number' ? numberText(input) : input;
  if (typeof text !== 'string' || !/^\d{1,10}(\.\d{1,2})?$/.test(text.trim())) {
    throw invalid('INVALID_PRICE', 'price must be a positive amount with at most two decimals, e.g. "19.99"', { price: input as never });
  }
  const d = money(text.trim());
  if (d.lte(0)) throw invalid('INVALID_PRICE', 'price must be greater than zero', { price: input as never });
  return d;
}

/**
 * The price a buyer pays now: the sale price while one is set, else the price. Everything a buyer
 * is charged (cart lines, checkout's price check, order snapshots) is this.
 */
export function currentPrice(price: DecimalBase, salePrice: DecimalBase | null): DecimalBase {
  return salePrice ?? price;
}

/**
 * A sale price as given: null removes it; otherwise an amount as parsePrice takes it that must be
 * below the price it discounts (422: the amount is well formed, but not a discount of this price).
 */
export function parseSalePrice(input: unknown, price: DecimalBase): DecimalBase | null {
  if (input === null) return null;
  let d: DecimalBase;
  try {
    d = parsePrice(input);
  } catch {
    throw invalid('INVALID_SALE_PRICE', 'sale_price must be a positive amount with at most two decimals, or null to remove it', { sale_price: input as never });
  }
  if (d.gte(price)) {
    throw unprocessable('SALE_PRICE_NOT_BELOW_PRICE', `sale_price ${formatMoney(d)} must be below the price ${formatMoney(price)}`, {
      sale_price: formatMoney(d),
      price: formatMoney(price),
    });
  }
  return d;
}

export const MAX_IMAGES = 10;
export const MAX_IMAGE_URL_LENGTH = 2048;
/**
 * An absolute http(s) URL: a host name or IPv4 address (letters, digits, dots, hyphens), an
 * optional port, then printable ASCII (a storefront puts it in an <img src> as is; anything else
 * is percent-encoded first). The REST schema uses the same pattern, so the two cannot disagree.
 */
export const IMAGE_URL_PATTERN = '^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?(?:[/?#][!-~]*)?$';
const IMAGE_URL_RE = new RegExp(IMAGE_URL_PATTERN);

/** A product's images, in display order: at most MAX_IMAGES http(s) URLs, each once. */
export function validateImages(input: readonly string[]): string[] {
  if (input.length > MAX_IMAGES) throw invalid('TOO_MANY_IMAGES', `at most ${MAX_IMAGES} images`, { max: MAX_IMAGES });
  const seen = new Set<string>();
  for (const url of input) {
    if (url.length > MAX_IMAGE_URL_LENGTH || !IMAGE_URL_RE.test(url)) {
      throw invalid('INVALID_IMAGE_URL', 'images must be absolute http or https URLs', { url });
    }
    if (seen.has(url)) throw invalid('DUPLICATE_IMAGE', 'an image appears twice', { url });
    seen.add(url);
  }
  return [...input];
}

export interface SizeRow {
  id: string;
  size: string;
  available: number;
  reserved: number;
  removedAt: Date | null;
}

/** The live size a seller names by id (a product without sizes has none to rename or remove). */
export function sizeToChange(hasSizes: boolean, rows: readonly SizeRow[], sizeId: string): SizeRow {
  const row = hasSizes ? rows.find((r) => r.id === sizeId && r.removedAt === null) : undefined;
  if (!row) throw notFound('SIZE_NOT_FOUND', `no size ${sizeId} for this product`, { size_id: sizeId });
  return row;
}

/**
 * A size with units reserved cannot be renamed or removed: the reservations (and the orders
 * behind them) name it, and a removal would have to take units an order is paying for.
 */
export function assertNoReservations(row: SizeRow): void {
  if (row.reserved > 0) {
    throw conflict('SIZE_HAS_RESERVATIONS', `${row.reserved} units of size ${row.size} are reserved by orders: try again once they are paid or released`, {
      size_id: row.id,
      size: row.size,
      reserved_quantity: row.reserved,
    });
  }
}

/**
 * The new name of a size: trimmed, not empty, not another size's name in this product. A removed
 * size keeps its name (its row stays, and PUT stock with that name brings it back), so it counts.
 */
export function renamedSize(rows: readonly SizeRow[], row: SizeRow, requested: string): string {
  const name = requested.trim();
  if (name === '') throw invalid('INVALID_SIZE', 'a size cannot be empty');
  const other = rows.find((r) => r.id !== row.id && r.size === name);
  if (other) {
    throw conflict('SIZE_EXISTS', other.removedAt ? `size ${name} was removed from this product: add it back with PUT stock` : `size ${name} already exists`, {
      size: name,
      removed: other.removedAt !== null,
    });
  }
  return name;
}

/**
 * What removing a size does to its stock: its available units leave the catalogue (an adjustment
 * of -available, so available + reserved + sold stays accounted for in stock_adjustments); sold
 * units stay on the row as history. Refused while units are reserved.
 */
export function sizeRemoval(row: SizeRow): { delta: number } {
  assertNoReservations(row);
  return { delta: 0 - row.available };
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
      throw unprocessable('SIZES_REQUIRED', 'a product with sizes takes sizes: [{ size, available_quantity }], not available_quantity');
    }
    if (!input.sizes || input.sizes.length === 0) {
      throw unprocessable('SIZES_REQUIRED', 'a product with sizes needs at least one size');
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
    throw unprocessable('SIZES_NOT_ALLOWED', 'sizes are only for products with has_sizes: true');
  }
  return { hasSizes: false, rows: [{ size: '', available: input.available_quantity ?? 0 }] };
}

/** The stock row a seller's stock change targets. */
export function stockSizeFor(hasSizes: boolean, size: string | undefined | null): string {
  const s = (size ?? '').trim();
  // 422: the request is well formed; whether it needs a size depends on the product it names.
  if (hasSizes && s === '') throw unprocessable('SIZE_REQUIRED', 'this product has sizes: say which size');
  if (!hasSizes && s !== '') throw unprocessable('SIZE_NOT_ALLOWED', 'this product has no sizes');
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
    // 422: well formed, but an admin has no store of their own to put it in.
    if (!requested) throw unprocessable('STORE_REQUIRED', 'an admin must give the store_id of the new product');
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

/** Sold quantities are a store's sales figures: its own sellers and admins see them, nobody else. */
export function canSeeSales(user: AuthUser | null | undefined, product: { storeId: string }): boolean {
  if (!user) return false;
  if (user.role === 'admin') return true;
  return user.role === 'seller' && user.storeId !== undefined && user.storeId === product.storeId;
}

/** A price filter bound (min_price, max_price): zero is a valid lower bound, unlike a price. */
export function parsePriceBound(input: string | number, name: string): DecimalBase {
  const text = typeof input === 'number' && Number.isFinite(input) ? String(input) : input;
  if (typeof text !== 'string' || !/^\d{1,10}(\.\d{1,2})?$/.test(text.trim())) {
    throw invalid('INVALID_PRICE', `${name} must be an amount like "19.99"`, { [name]: input });
  }
  return money(text.trim());
}

/**
 * Whether `quantity` units of a product's size could be reserved now (a read-only check: cart
 * validation). `code` is '' when they could; else why not, as a reservation would say it
 * (PRODUCT_NOT_FOUND, PRODUCT_UNAVAILABLE, SIZE_*, INSUFFICIENT_STOCK), or INVALID_QUANTITY.
 */
export function lineAvailability(
  product: ProductRecord | undefined,
  size: string,
  quantity: number,
): { available: boolean; availableQuantity: number; code: string } {
  const resolved = resolveLine(
    { line_id: '', product_id: product?.id ?? '', size, quantity },
    product && {
      productId: product.id,
      hasSizes: product.hasSizes,
      deleted: product.deletedAt !== null,
      stockIds: new Map(product.stock.map((s) => [s.size, s.id])),
    },
  );
  const row = resolved.ok ? product?.stock.find((s) => s.id === resolved.stockId) : undefined;
  if (!resolved.ok || !row) return { available: false, availableQuantity: 0, code: resolved.ok ? ReserveCodes.sizeNotFound : resolved.code };
  if (!Number.isInteger(quantity) || quantity <= 0) return { available: false, availableQuantity: row.available, code: 'INVALID_QUANTITY' };
  const ok = row.available >= quantity;
  return { available: ok, availableQuantity: row.available, code: ok ? '' : ReserveCodes.insufficientStock };
}
