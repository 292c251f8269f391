-- The lease of a duplicate capture's refund call: two workers (the webhook that found it, the
-- recovery sweep) never send it at once.
-- AlterTable
ALTER TABLE "duplicate_captures" ADD COLUMN     "refund_started_at" TIMESTAMPTZ(3);

