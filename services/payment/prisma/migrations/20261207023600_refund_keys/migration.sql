-- payment.refund may name a partial refund with a refund_key (the order's adjustment id: a store's
-- part cancelled after payment, a returned line), issue 13. A re-sent command finds its refund by
-- the key and answers instead of refunding again. Two commands with one key racing each other
-- queue on the payment row lock, and this index is the last word: at most one refund per payment
-- and key that is not failed (a refund the gateway refused may be tried again under its key).
-- Lookups by key are by the order's payments, so the index serves them too.

-- AlterTable
ALTER TABLE "refunds" ADD COLUMN     "refund_key" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "refunds_one_live_per_key" ON "refunds"("payment_id", "refund_key")
  WHERE "refund_key" IS NOT NULL AND "status" <> 'failed';
