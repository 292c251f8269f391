-- inventory.restock (issue 13): units an order bought given back on some of its lines, once per
-- restock_id (restocks holds the answer), never more than a line sold (reservations.restocked).
-- AlterTable
ALTER TABLE "reservations" ADD COLUMN     "restocked" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "restocks" (
    "restock_id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "result" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "restocks_pkey" PRIMARY KEY ("restock_id")
);

-- CreateIndex
CREATE INDEX "restocks_order_id_idx" ON "restocks"("order_id");


-- Not expressible in Prisma: a line never gets back more units than it has, and never a negative count.
ALTER TABLE "reservations" ADD CONSTRAINT "reservations_restocked_within_quantity" CHECK ("restocked" >= 0 AND "restocked" <= "quantity");
