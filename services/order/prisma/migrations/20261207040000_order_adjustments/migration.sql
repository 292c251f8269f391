-- Adjustments: cancellations after payment and returns, each a saga of its own (refund, then
-- restock) whose id is the refund_key and restock_id of its commands.
-- CreateTable
CREATE TABLE "order_adjustments" (
    "adjustment_id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "store_id" TEXT,
    "status" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "refund_amount" DECIMAL(12,2),
    "refunded_amount" DECIMAL(12,2),
    "refund_id" TEXT,
    "lines" JSONB NOT NULL DEFAULT '[]',
    "restock" BOOLEAN NOT NULL DEFAULT true,
    "requested_by" TEXT NOT NULL,
    "requested_role" TEXT NOT NULL,
    "decided_by" TEXT,
    "decision_reason" TEXT,
    "awaiting" JSONB NOT NULL DEFAULT '[]',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_retry_at" TIMESTAMPTZ(3),
    "stuck" BOOLEAN NOT NULL DEFAULT false,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "order_adjustments_pkey" PRIMARY KEY ("adjustment_id")
);

-- CreateIndex
CREATE INDEX "order_adjustments_order_id_created_at_idx" ON "order_adjustments"("order_id", "created_at");

-- CreateIndex
CREATE INDEX "order_adjustments_next_retry_at_idx" ON "order_adjustments"("next_retry_at");

-- AddForeignKey
ALTER TABLE "order_adjustments" ADD CONSTRAINT "order_adjustments_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("order_id") ON DELETE CASCADE ON UPDATE CASCADE;


ALTER TABLE "order_adjustments" ADD CONSTRAINT "order_adjustments_kind_check" CHECK ("kind" IN ('cancellation', 'return'));
ALTER TABLE "order_adjustments" ADD CONSTRAINT "order_adjustments_status_check" CHECK ("status" IN ('requested', 'refunding', 'restocking', 'completed', 'rejected'));
