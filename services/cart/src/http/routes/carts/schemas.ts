import { Type } from '@sinclair/typebox';
import { MAX_LINE_QUANTITY } from '../../../domain/cart-rules';

const Money = Type.String({ description: 'decimal string with two decimals, e.g. "19.99"', examples: ['19.99'] });
const Size = Type.Union([Type.String({ maxLength: 50 }), Type.Null()], { description: 'null for products without sizes' });
const ProductId = Type.String({ minLength: 1, maxLength: 100 });

export const ErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Any()),
  }),
});

export const CartItem = Type.Object({
  id: Type.String(),
  product_id: Type.String(),
  product_name: Type.String(),
  size: Size,
  quantity: Type.Integer(),
  price_when_added: Money,
  current_price: Money,
  subtotal: Money,
  added_at: Type.String({ format: 'date-time' }),
});

export const CartChange = Type.Object({
  kind: Type.String({ description: 'price_changed | removed | quantity_reduced | size_removed' }),
  reason: Type.String({
    description: 'price_changed | product_deleted | product_not_found | size_removed | size_required | out_of_stock | stock_reduced',
  }),
  message: Type.String(),
  item_id: Type.Union([Type.String(), Type.Null()]),
  product_id: Type.String(),
  product_name: Type.String(),
  size: Size,
  old_value: Type.Union([Type.String(), Type.Null()]),
  new_value: Type.Union([Type.String(), Type.Null()]),
  at: Type.String({ format: 'date-time' }),
});

export const Cart = Type.Object({
  items: Type.Array(CartItem),
  total: Money,
  item_count: Type.Integer({ description: 'sum of quantities' }),
  changes: Type.Array(CartChange, { description: 'what changed since the buyer last looked (shown once)' }),
});

export const CountResponse = Type.Object({ count: Type.Integer() });

// Request bodies name every field they take (additionalProperties: false): unknown ones are dropped
// (fastify's removeAdditional), and the document does not promise that anything else is read.
const closed = { additionalProperties: false } as const;

export const AddBody = Type.Object(
  {
    product_id: ProductId,
    quantity: Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY }),
    size: Type.Optional(Size),
  },
  closed,
);

export const ItemParams = Type.Object({ cart_item_id: Type.String({ minLength: 1, maxLength: 100 }) });

export const UpdateBody = Type.Object({ quantity: Type.Integer({ minimum: 0, maximum: MAX_LINE_QUANTITY, description: '0 removes the item' }) }, closed);

export const Removed = Type.Object({ removed: Type.Literal(true), id: Type.String() });
export const Cleared = Type.Object({ cleared: Type.Literal(true), removed_items: Type.Integer() });

const Named = {
  item_id: Type.Union([Type.String(), Type.Null()]),
  product_id: Type.String(),
  product_name: Type.String(),
  size: Size,
};
export const ValidationResponse = Type.Object({
  valid: Type.Boolean(),
  items_updated: Type.Array(Type.Object({ ...Named, old_price: Type.Union([Money, Type.Null()]), new_price: Type.Union([Money, Type.Null()]) })),
  items_removed: Type.Array(Type.Object({ ...Named, quantity: Type.Integer(), reason: Type.String() })),
  quantities_reduced: Type.Array(Type.Object({ ...Named, old_quantity: Type.Integer(), new_quantity: Type.Integer() })),
  problems: Type.Array(
    Type.Object({
      code: Type.String(),
      message: Type.String(),
      item_id: Type.Union([Type.String(), Type.Null()]),
      product_id: Type.Union([Type.String(), Type.Null()]),
      size: Size,
    }),
  ),
  cart: Type.Omit(Cart, ['changes']),
});

export const CheckoutHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      description:
        'optional, as in Stripe: one key per checkout attempt, a retry reuses it. Without one, a retried identical checkout of the same cart (same buyer, same cart version) answers the same order',
    }),
  ),
});

// Exactly one of the two (422 SHIPPING_ADDRESS_OR_ADDRESS_ID otherwise, checked in the use case).
const Shipping = {
  shipping_address: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  address_id: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: 'a saved address of the buyer (GET /api/v1/accounts/addresses/), instead of shipping_address' }),
  ),
  notes: Type.Optional(Type.String({ maxLength: 2000 })),
};
export const FullCheckoutBody = Type.Object(Shipping, closed);
export const SingleCheckoutBody = Type.Object(
  {
    product_id: ProductId,
    quantity: Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY }),
    size: Type.Optional(Size),
    ...Shipping,
  },
  closed,
);

export const CheckoutResponse = Type.Object({
  order_id: Type.String(),
  status: Type.String({ description: 'under_paying once stock is reserved; pending if still reserving' }),
  total_amount: Money,
  payment_expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  items: Type.Array(
    Type.Object({
      product_id: Type.String(),
      product_name: Type.String(),
      size: Size,
      quantity: Type.Integer(),
      price: Money,
      subtotal: Money,
    }),
  ),
});
