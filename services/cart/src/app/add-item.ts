import { CartErrors } from '../domain/errors';
import { assertValidQuantity, fittingLine } from '../domain/cart-rules';
import { normalizeSize, sizeForJson } from '../domain/catalog';
import type { CartItemRecord, CartStore } from '../infra/cart-store';
import type { CatalogPort } from './ports';

export interface AddItemCommand {
  userId: string;
  productId: string;
  quantity: number;
  size?: string | null;
}

export class AddItem {
  constructor(
    private readonly store: CartStore,
    private readonly catalog: CatalogPort,
  ) {}

  async execute(cmd: AddItemCommand): Promise<{ item: CartItemRecord; created: boolean }> {
    assertValidQuantity(cmd.quantity);
    const size = normalizeSize(cmd.size);
    const checkedAt = new Date();
    const product = (await this.catalog.getProducts([cmd.productId])).get(cmd.productId);
    // Checks the product, the size and the quantity on its own; the total with what the cart
    // already holds is checked by the upsert itself, atomically.
    const { product: found, available } = fittingLine(cmd.productId, product, size, cmd.quantity);
    const result = await this.store.addItem({
      userId: cmd.userId,
      productId: cmd.productId,
      productName: found.name,
      size,
      quantity: cmd.quantity,
      price: found.price,
      maxTotal: available,
      checkedAt,
    });
    if (!result.ok) {
      throw CartErrors.insufficientStock({
        product_id: cmd.productId,
        size: sizeForJson(size),
        requested: cmd.quantity,
        available,
        in_cart: result.inCart,
      });
    }
    return { item: result.item, created: result.created };
  }
}
