-- A stock movement changes only the cart lines above their size's new cap, and while stock lasts
-- there are none. With the product_id index alone, finding that out read every line of the
-- product (twice per checkout, ~300 lines in the checkout bench: ~1 ms of PostgreSQL per
-- checkout, growing with the carts that hold the product). With size and quantity in the index
-- each size's lines above its cap are one range, empty while stock lasts
-- (CLAIM_IF_NONE_BEYOND_CAPS in src/infra/cart-store.ts). It replaces the product_id index, whose
-- lookups it serves as well. A quantity change is no longer a HOT update (the index holds it).
CREATE INDEX IF NOT EXISTS "cart_items_product_id_size_quantity_idx" ON "cart_items"("product_id", "size", "quantity");
DROP INDEX IF EXISTS "cart_items_product_id_idx";
