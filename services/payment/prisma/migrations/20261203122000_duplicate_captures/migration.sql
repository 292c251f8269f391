-- Second captures of one payment (or of another payment of the same order): recorded once per
-- gateway transaction and refunded automatically (issue 12, item 1).
-- CreateEnum
CREATE TYPE "DuplicateCaptureStatus" AS ENUM ('refund_pending', 'refunded', 'refund_failed');

-- CreateTable
CREATE TABLE "duplicate_captures" (
    "id" UUID NOT NULL,
    "payment_id" UUID NOT NULL,
    "order_reference" TEXT NOT NULL,
    "gateway" TEXT NOT NULL,
    "transaction_id" TEXT NOT NULL,
    "amount" DECIMAL(12,2) NOT NULL,
    "currency" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "live_payment_id" UUID,
    "status" "DuplicateCaptureStatus" NOT NULL DEFAULT 'refund_pending',
    "gateway_refund_id" TEXT,
    "refund_attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "detected_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "refunded_at" TIMESTAMPTZ(3),

    CONSTRAINT "duplicate_captures_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "duplicate_captures_status_detected_at_idx" ON "duplicate_captures"("status", "detected_at");

-- CreateIndex
CREATE INDEX "duplicate_captures_order_reference_idx" ON "duplicate_captures"("order_reference");

-- CreateIndex
CREATE UNIQUE INDEX "duplicate_captures_gateway_transaction_id_key" ON "duplicate_captures"("gateway", "transaction_id");

-- AddForeignKey
ALTER TABLE "duplicate_captures" ADD CONSTRAINT "duplicate_captures_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "payments"("payment_id") ON DELETE RESTRICT ON UPDATE CASCADE;

ALTER TABLE "duplicate_captures" ADD CONSTRAINT "duplicate_captures_amount_positive" CHECK ("amount" > 0);
