-- Refunds give back what the buyer paid: the gateway charged total_amount (amount + fee), so the
-- sum of reserved and completed refunds is bounded by it, not by the order amount (issue 12, item 4).
ALTER TABLE "payments" DROP CONSTRAINT "payments_refunds_within_amount";
ALTER TABLE "payments" ADD CONSTRAINT "payments_refunds_within_total_amount"
  CHECK ("refunded_amount" >= 0 AND "refunded_amount" <= "total_amount");
