// Whether a quantity of a product (and size) may sit in a cart, checked against what inventory
// reports. Used by add, update and single-item checkout alike.
import { CartErrors } from './errors';
import { NO_SIZE, sizeForJson, type CatalogProduct } from './catalog';

/** Upper bound on one line, far above any stock, so sums never overflow an int4 column. */
export const MAX_LINE_QUANTITY = 100_000;

export function assertValidQuantity(quantity: unknown, { allowZero = false } = {}): asserts quantity is number {
  const ok = typeof quantity === 'number' && Number.isInteger(quantity) && quantity >= (allowZero ? 0 : 1) && quantity <= MAX_LINE_QUANTITY;
  if (!ok) throw CartErrors.invalidQuantity(quantity);
}

/**
 * Checks that `product` may be put in a cart with `size`, and returns how many units are
 * available for that line. Checks in the order a buyer would fix them: the product, then the
 * size, then the stock.
 */
export function availableForLine(productId: string, product: CatalogProduct | undefined, size: string): number {
  if (!product) throw CartErrors.productNotFound(productId);
  if (product.deleted) throw CartErrors.productUnavailable(productId);
  const sizes = [...product.sizes.keys()];
  if (product.hasSizes) {
    if (size === NO_SIZE) throw CartErrors.sizeRequired(productId, sizes);
    const available = product.sizes.get(size);
    if (available === undefined) throw CartErrors.sizeNotFound(productId, size, sizes);
    return available;
  }
  if (size !== NO_SIZE) throw CartErrors.sizeNotAllowed(productId, size);
  return product.available;
}

/**
 * Checks a line whose total in the cart would become `total` (what is already there plus
 * what is added, or the new quantity of an update). Returns the available units.
 */
export function assertLineFits(productId: string, product: CatalogProduct | undefined, size: string, total: number, inCart = 0): number {
  const available = availableForLine(productId, product, size);
  if (total > available) {
    throw CartErrors.insufficientStock({
      product_id: productId,
      size: sizeForJson(size),
      requested: total - inCart,
      available,
      in_cart: inCart,
    });
  }
  return available;
}

/** assertLineFits for a caller that goes on with the product: the product (known to exist) and the available units. */
export function fittingLine(
  productId: string,
  product: CatalogProduct | undefined,
  size: string,
  total: number,
  inCart = 0,
): { product: CatalogProduct; available: number } {
  if (!product) throw CartErrors.productNotFound(productId);
  return { product, available: assertLineFits(productId, product, size, total, inCart) };
}
