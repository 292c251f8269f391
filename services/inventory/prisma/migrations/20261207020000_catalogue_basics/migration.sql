-- Catalogue basics a storefront needs (issue 14): images and a sale price on products, the price a
-- buyer pays now (current_price) for filters and sorts, sizes a seller can remove, and history rows
-- told apart from order snapshots. Generated with `prisma migrate diff` from the previous schema,
-- then edited by hand where Prisma cannot say it (marked "by hand").

-- AlterTable
ALTER TABLE "products" ADD COLUMN     "images" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "sale_price" DECIMAL(12,2);

-- By hand: what a buyer pays now, computed by PostgreSQL so it can never disagree with the two
-- prices (Prisma maps it as an optional column and never writes it).
ALTER TABLE "products" ADD COLUMN "current_price" DECIMAL(12,2) GENERATED ALWAYS AS (COALESCE("sale_price", "price")) STORED;

-- By hand: a sale price is a discount: above zero, below the price.
ALTER TABLE "products" ADD CONSTRAINT "products_sale_price_below_price" CHECK ("sale_price" IS NULL OR ("sale_price" > 0 AND "sale_price" < "price"));

-- AlterTable
ALTER TABLE "stock" ADD COLUMN     "removed_at" TIMESTAMPTZ(3);

-- By hand: a removed size is never reserved (removal is refused while it is, and no lookup offers
-- it again). Its available count may grow back: a restock of an order line of that size returns the
-- units to the row they came from, counted but not offered.
ALTER TABLE "stock" ADD CONSTRAINT "stock_removed_not_reserved" CHECK ("removed_at" IS NULL OR "reserved" = 0);

-- AlterTable (current_price stays nullable: the previous release, still running during a rollout,
-- writes rows without it, read as their price)
ALTER TABLE "product_history" ADD COLUMN     "current_price" DECIMAL(12,2),
ADD COLUMN     "kind" TEXT NOT NULL DEFAULT 'change',
ADD COLUMN     "sale_price" DECIMAL(12,2);
-- By hand: sale prices did not exist before.
UPDATE "product_history" SET "current_price" = "price";

-- By hand: order snapshots (CreateSnapshots, reason "order:<id>") are not the product's history.
UPDATE "product_history" SET "kind" = 'order' WHERE "reason" LIKE 'order%';
ALTER TABLE "product_history" ADD CONSTRAINT "product_history_kind" CHECK ("kind" IN ('change', 'order'));

-- DropIndex
DROP INDEX "product_history_product_id_created_at_idx";

-- CreateIndex
CREATE INDEX "products_current_price_idx" ON "products"("current_price");

-- CreateIndex
CREATE INDEX "product_history_product_id_kind_created_at_idx" ON "product_history"("product_id", "kind", "created_at");

-- By hand: GET /products/ matches brand and category in any case and `q` anywhere in the name or
-- the description, all ILIKE, which only a trigram index serves. pg_trgm ships with PostgreSQL
-- (contrib) and is a trusted extension (the database owner may create it).
CREATE EXTENSION IF NOT EXISTS "pg_trgm";

-- CreateIndex
CREATE INDEX "products_brand_trgm_idx" ON "products" USING GIN ("brand" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "products_category_trgm_idx" ON "products" USING GIN ("category" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "products_product_name_trgm_idx" ON "products" USING GIN ("product_name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "products_product_description_trgm_idx" ON "products" USING GIN ("product_description" gin_trgm_ops);
