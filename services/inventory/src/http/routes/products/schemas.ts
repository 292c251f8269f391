// Request and response schemas of /api/v1/products (TypeBox → validation and OpenAPI).
import { MONEY_PATTERN } from '@sudamall/shared';
import { Type, type Static } from '@sinclair/typebox';
import { IMAGE_URL_PATTERN, MAX_IMAGE_URL_LENGTH, MAX_IMAGES, MAX_PRICE, PRICE_PATTERN, PRODUCT_SORTS } from '../../../domain/product';

const Text = (maxLength: number) => Type.String({ maxLength });
// Both forms say what parsePrice accepts: above zero, whole cents (multipleOf, checked within
// float precision: the apps' Ajv has multipleOfPrecision), at most MAX_PRICE.
const Price = Type.Union([Type.String({ pattern: PRICE_PATTERN }), Type.Number({ minimum: 0.01, maximum: Number(MAX_PRICE), multipleOf: 0.01 })], {
  description: 'decimal amount with at most two decimals, "19.99" (a JSON number is accepted too)',
});
// A decimal string above zero (the pattern leaves out "0", "0.0", "0.00"), so every value the
// schema accepts is one the domain takes unless it is not below the price (422).
const SalePrice = Type.Union([Type.String({ pattern: '^(?!0+(\\.0{1,2})?$)\\d{1,10}(\\.\\d{1,2})?$', examples: ['14.99'] }), Type.Null()], {
  description: 'a decimal string below `price` that buyers pay while it is set ("14.99"); null removes it',
});
const Images = Type.Array(Type.String({ pattern: IMAGE_URL_PATTERN, maxLength: MAX_IMAGE_URL_LENGTH, examples: ['https://cdn.example.com/p/mug-1.jpg'] }), {
  maxItems: MAX_IMAGES,
  uniqueItems: true,
  description: `absolute http(s) URLs, in display order (at most ${MAX_IMAGES}); the whole list is replaced`,
});
const Quantity = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });
const SizeName = Type.String({ minLength: 1, maxLength: 40, pattern: '\\S' });

export const ProductIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
export const SizeParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 100, description: 'the product' }),
  size_id: Type.String({ minLength: 1, maxLength: 100, description: 'the size (`sizes[].size_id` of the product)' }),
});
export type SizeParams = Static<typeof SizeParams>;

export const RenameSizeBody = Type.Object({ size: SizeName }, { additionalProperties: false });
export type RenameSizeBody = Static<typeof RenameSizeBody>;

export const CreateProductBody = Type.Object(
  {
    product_name: Type.String({ minLength: 1, maxLength: 200 }),
    product_description: Type.Optional(Text(5000)),
    price: Price,
    sale_price: Type.Optional(SalePrice),
    images: Type.Optional(Images),
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
    sale_price: Type.Optional(SalePrice),
    images: Type.Optional(Images),
    color: Type.Optional(Text(100)),
    brand: Type.Optional(Text(100)),
    category: Type.Optional(Text(100)),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateProductBody = Static<typeof UpdateProductBody>;

export const SetStockBody = Type.Object({ available_quantity: Quantity, size: Type.Optional(SizeName) }, { additionalProperties: false });
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
    q: Type.Optional(Type.String({ maxLength: 200, description: 'case-insensitive match anywhere in the name or the description' })),
    search: Type.Optional(Type.String({ maxLength: 200, description: 'older name of `q` (used when `q` is absent)' })),
    min_price: Type.Optional(Type.String({ pattern: MONEY_PATTERN, description: 'lowest `current_price`, "10.00"' })),
    max_price: Type.Optional(Type.String({ pattern: MONEY_PATTERN, description: 'highest `current_price`, "99.99"' })),
    in_stock: Type.Optional(Type.Boolean({ description: 'true: some units available (in some size); false: none' })),
    sort: Type.Optional(
      Type.Union(
        PRODUCT_SORTS.map((s) => Type.Literal(s)),
        {
          description: '`price` / `-price` (by `current_price`), `-created_at` or `newest` (the default), `created_at`, `name` / `-name`',
          default: '-created_at',
        },
      ),
    ),
    page: Page,
    page_size: PageSize,
  },
  { additionalProperties: false },
);
export type ListProductsQuery = Static<typeof ListProductsQuery>;

export const PageQuery = Type.Object({ page: Page, page_size: PageSize }, { additionalProperties: false });
export type PageQuery = Static<typeof PageQuery>;

// ---- responses ----

const Sold = Type.Optional(Type.Integer({ description: "shown to the sellers of the product's store and to admins only" }));

export const SizeStock = Type.Object({
  size_id: Type.String({ description: 'names the size in PATCH/DELETE `/{id}/sizes/{size_id}/`' }),
  size: Type.String(),
  available_quantity: Type.Integer(),
  reserved_quantity: Type.Integer(),
  sold_quantity: Sold,
});

export const StockResponse = Type.Object({
  product_id: Type.String(),
  has_sizes: Type.Boolean(),
  available_quantity: Type.Integer(),
  reserved_quantity: Type.Integer(),
  sold_quantity: Sold,
  sizes: Type.Array(SizeStock),
});

export const ProductResponse = Type.Object({
  id: Type.String(),
  product_name: Type.String(),
  product_description: Type.String(),
  price: Type.String({ description: 'the list price, decimal string, "19.99"' }),
  sale_price: Type.Union([Type.String(), Type.Null()], { description: 'below `price` while a sale is on; null otherwise' }),
  current_price: Type.String({ description: 'what a buyer pays now: `sale_price` when set, else `price` (what carts and orders charge)' }),
  images: Type.Array(Type.String(), { description: 'image URLs, in display order' }),
  color: Type.String(),
  brand: Type.String(),
  category: Type.String(),
  store_id: Type.String(),
  owner_id: Type.String(),
  has_sizes: Type.Boolean(),
  deleted: Type.Boolean(),
  available_quantity: Type.Integer(),
  reserved_quantity: Type.Integer(),
  sold_quantity: Sold,
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
  snapshot_taken_at: Type.String({ description: 'when the product was like this (ISO 8601)' }),
  product_id: Type.String(),
  product_name: Type.String(),
  product_description: Type.String(),
  product_price: Type.String({ description: 'the list price then (same as `price`)' }),
  price: Type.String(),
  sale_price: Type.Union([Type.String(), Type.Null()]),
  current_price: Type.String({ description: 'what a buyer paid then' }),
  color: Type.String(),
  brand: Type.String(),
  category: Type.String(),
  size: Type.String(),
  store_id: Type.String(),
  reason: Type.String({ description: 'created | updated | price_changed | deleted' }),
  created_at: Type.String({ description: 'same as `snapshot_taken_at`' }),
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
