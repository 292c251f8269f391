-- A refund whose gateway call ended without an answer (timeout, outage) stays pending and is
-- reconciled against the gateway (issue 12, items 3 and 13). Each send or lookup is an attempt:
-- last_attempt_at is its lease (no two workers or sweeps send one refund at once), attempt_count
-- says whether an earlier call may have reached the gateway, last_error why it is still pending.
ALTER TABLE "refunds" ADD COLUMN "attempt_count" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "refunds" ADD COLUMN "last_attempt_at" TIMESTAMPTZ(3);
ALTER TABLE "refunds" ADD COLUMN "last_error" TEXT;
