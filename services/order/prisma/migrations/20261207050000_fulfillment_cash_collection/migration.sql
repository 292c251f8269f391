-- Cash on delivery, collected by each store when it delivers its part (POST /orders/{id}/fulfillments/{store_id}/collect/).
-- AlterTable
ALTER TABLE "order_fulfillments" ADD COLUMN     "collected_amount" DECIMAL(12,2),
ADD COLUMN     "collected_at" TIMESTAMPTZ(3);

