// Request and response schemas of /api/v1/products (TypeBox → validation and OpenAPI).
import { MONEY_PATTERN } from '@sudamall/shared';
import { Type, type Static } from '@sinclair/typebox';

const Text = (maxLength: number) => Type.String({ maxLength });
const Price = Type.Union([Type.String({ pattern: MONEY_PATTERN }), Type.Number({ exclusiveMinimum: 0 })], {
  description: 'decimal amount with at most two decimals, "19.99" (a JSON number is accepted too)',
});
const Quantity = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });
const SizeName = Type.String({ minLength: 1, maxLength: 40 });

export const ProductIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

export const CreateProductBody = Type.Object(
  {
    product_name: Type.String({ minLength: 1, maxLength: 200 }),
    product_description: Type.Optional(Text(5000)),
    price: Price,
    color: Type.Optional(Text(100)),
    brand: Type.Optional(Text(100)),
    category: Type.Optional(Text(100)),
    store_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'admins only; sellers use their own store' })),
    has_sizes: Type.Optional(Type.Boolean()),
    available_quantity: Type.Optional(Quantity),
    sizes: Type.Optional(
      Type.Array(Type.Object({ size: SizeName, available_quantity: Quantity }, { additionalProperties: false }), {
        minItems: 1,
        maxItems: 100,
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateProductBody = Static<typeof CreateProductBody>;

export const UpdateProductBody = Type.Object(
  {
    product_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    product_description: Type.Optional(Text(5000)),
    price: Type.Optional(Price),
    color: Type.Optional(Text(100)),
    brand: Type.Optional(Text(100)),
    category: Type.Optional(Text(100)),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateProductBody = Static<typeof UpdateProductBody>;

export const SetStockBody = Type.Object(
  { available_quantity: Quantity, size: Type.Optional(SizeName) },
  { additionalProperties: false },
);
export type SetStockBody = Static<typeof SetStockBody>;

export const AdjustStockBody = Type.Object(
  {
    delta: Type.Integer({ minimum: -1_000_000_000, maximum: 1_000_000_000, not: { const: 0 } }),
    size: Type.Optional(SizeName),
    reason: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);
export type AdjustStockBody = Static<typeof AdjustStockBody>;

const Page = Type.Integer({ minimum: 1, maximum: 100_000, default: 1 });
const PageSize = Type.Integer({ minimum: 1, maximum: 100, default: 20 });

export const ListProductsQuery = Type.Object(
  {
    category: Type.Optional(Text(100)),
    brand: Type.Optional(Text(100)),
    store_id: Type.Optional(Text(100)),
    search: Type.Optional(Text(200)),
    min_price: Type.Optional(Type.String({ pattern: MONEY_PATTERN })),
    max_price: Type.Optional(Type.String({ pattern: MONEY_PATTERN })),
    in_stock: Type.Optional(Type.Boolean()),
    page: Page,
    page_size: PageSize,
  },
  { additionalProperties: false },
);
export type ListProductsQuery = Static<typeof ListProductsQuery>;

export const PageQuery = Type.Object({ page: Page, page_size: PageSize }, { additionalProperties: false });
export type PageQuery = Static<typeof PageQuery>;

// ---- responses ----

export const SizeStock = Type.Object({
  size: Type.String(),
  available_quantity: Type.Integer(),
  reserved_quantity: Type.Integer(),
  sold_quantity: Type.Integer(),
});

export const StockResponse = Type.Object({
  product_id: Type.String(),
  has_sizes: Type.Boolean(),
  available_quantity: Type.Integer(),
  reserved_quantity: Type.Integer(),
  sold_quantity: Type.Integer(),
  sizes: Type.Array(SizeStock),
});

export const ProductResponse = Type.Object({
  id: Type.String(),
  product_name: Type.String(),
  product_description: Type.String(),
  price: Type.String({ description: 'decimal string, "19.99"' }),
  color: Type.String(),
  brand: Type.String(),
  category: Type.String(),
  store_id: Type.String(),
  owner_id: Type.String(),
  has_sizes: Type.Boolean(),
  deleted: Type.Boolean(),
  available_quantity: Type.Integer(),
  reserved_quantity: Type.Integer(),
  sold_quantity: Type.Integer(),
  sizes: Type.Array(SizeStock),
  created_at: Type.String(),
  updated_at: Type.String(),
});

export const ProductPage = Type.Object({
  items: Type.Array(ProductResponse),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
});

export const SnapshotResponse = Type.Object({
  snapshot_id: Type.String(),
  product_id: Type.String(),
  product_name: Type.String(),
  product_description: Type.String(),
  price: Type.String(),
  color: Type.String(),
  brand: Type.String(),
  category: Type.String(),
  size: Type.String(),
  store_id: Type.String(),
  reason: Type.String(),
  created_at: Type.String(),
});

export const HistoryPage = Type.Object({
  items: Type.Array(SnapshotResponse),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
});

export const ErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
});
