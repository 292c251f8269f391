-- Fulfilments: one per store with items in an order, so each store ships, delivers (and later
-- cancels) its own part, and the order's status follows them (src/domain/fulfillment.ts). Orders
-- placed before this migration get theirs from their items, in the status their order is in.
-- CreateEnum
CREATE TYPE "fulfillment_status" AS ENUM ('pending', 'processing', 'shipped', 'delivered', 'cancelled');

-- CreateTable
CREATE TABLE "order_fulfillments" (
    "order_id" UUID NOT NULL,
    "store_id" TEXT NOT NULL,
    "status" "fulfillment_status" NOT NULL DEFAULT 'pending',
    "subtotal" DECIMAL(12,2) NOT NULL,
    "tracking_number" TEXT,
    "shipped_at" TIMESTAMPTZ(3),
    "delivered_at" TIMESTAMPTZ(3),
    "cancelled_at" TIMESTAMPTZ(3),
    "cancel_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_fulfillments_pkey" PRIMARY KEY ("order_id","store_id")
);

-- CreateTable
CREATE TABLE "fulfillment_status_history" (
    "id" BIGSERIAL NOT NULL,
    "order_id" UUID NOT NULL,
    "store_id" TEXT NOT NULL,
    "from_status" "fulfillment_status",
    "to_status" "fulfillment_status" NOT NULL,
    "changed_by" TEXT NOT NULL,
    "actor_role" TEXT NOT NULL,
    "reason" TEXT,
    "notes" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "fulfillment_status_history_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "order_fulfillments_store_id_status_idx" ON "order_fulfillments"("store_id", "status");

-- CreateIndex
CREATE INDEX "fulfillment_status_history_order_id_store_id_id_idx" ON "fulfillment_status_history"("order_id", "store_id", "id");

-- AddForeignKey
ALTER TABLE "order_fulfillments" ADD CONSTRAINT "order_fulfillments_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("order_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fulfillment_status_history" ADD CONSTRAINT "fulfillment_status_history_order_id_store_id_fkey" FOREIGN KEY ("order_id", "store_id") REFERENCES "order_fulfillments"("order_id", "store_id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Backfill: the fulfilments of the orders already placed.
INSERT INTO "order_fulfillments" ("order_id", "store_id", "status", "subtotal", "cancelled_at", "cancel_reason")
SELECT o."order_id", i."store_id",
       (CASE o."status" WHEN 'under_paying' THEN 'pending' ELSE o."status"::text END)::"fulfillment_status",
       sum(i."price" * i."quantity"),
       CASE WHEN o."status" = 'cancelled' THEN o."updated_at" END,
       CASE WHEN o."status" = 'cancelled' THEN o."cancel_reason" END
  FROM "orders" o JOIN "order_items" i ON i."order_id" = o."order_id"
 GROUP BY o."order_id", i."store_id";
