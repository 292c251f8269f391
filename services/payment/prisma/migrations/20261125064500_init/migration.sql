-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "GatewayType" AS ENUM ('card', 'wallet', 'offline');

-- CreateEnum
CREATE TYPE "PaymentStatus" AS ENUM ('pending', 'processing', 'completed', 'failed', 'expired', 'cancelled', 'refunded', 'partially_refunded');

-- CreateEnum
CREATE TYPE "AttemptStatus" AS ENUM ('processing', 'succeeded', 'failed', 'requires_action', 'awaiting_collection', 'error');

-- CreateEnum
CREATE TYPE "RefundStatus" AS ENUM ('pending', 'completed', 'failed');

-- CreateTable
CREATE TABLE "gateways" (
    "name" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "type" "GatewayType" NOT NULL,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "test_mode" BOOLEAN NOT NULL DEFAULT true,
    "fixed_fee" DECIMAL(12,2) NOT NULL DEFAULT 0,
    "percentage_fee" DECIMAL(5,2) NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "gateways_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "payments" (
    "payment_id" UUID NOT NULL,
    "order_reference" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "gateway" TEXT NOT NULL,
    "payment_method" TEXT NOT NULL,
    "currency" TEXT NOT NULL DEFAULT 'USD',
    "amount" DECIMAL(12,2) NOT NULL,
    "gateway_fee" DECIMAL(12,2) NOT NULL,
    "total_amount" DECIMAL(12,2) NOT NULL,
    "refunded_amount" DECIMAL(12,2) NOT NULL DEFAULT 0,
    "status" "PaymentStatus" NOT NULL DEFAULT 'pending',
    "attempt_count" INTEGER NOT NULL DEFAULT 0,
    "gateway_transaction_id" TEXT,
    "gateway_reference" TEXT,
    "failure_reason" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "expires_at" TIMESTAMPTZ(3),
    "processing_started_at" TIMESTAMPTZ(3),
    "completed_at" TIMESTAMPTZ(3),
    "cancelled_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "payments_pkey" PRIMARY KEY ("payment_id")
);

-- CreateTable
CREATE TABLE "payment_attempts" (
    "id" UUID NOT NULL,
    "payment_id" UUID NOT NULL,
    "attempt_number" INTEGER NOT NULL,
    "status" "AttemptStatus" NOT NULL DEFAULT 'processing',
    "idempotency_key" TEXT NOT NULL,
    "gateway_response" JSONB NOT NULL DEFAULT '{}',
    "failure_code" TEXT,
    "failure_reason" TEXT,
    "card_last4" VARCHAR(4),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "payment_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "refunds" (
    "refund_id" UUID NOT NULL,
    "payment_id" UUID NOT NULL,
    "amount" DECIMAL(12,2) NOT NULL,
    "reason" TEXT NOT NULL,
    "status" "RefundStatus" NOT NULL DEFAULT 'pending',
    "gateway_refund_id" TEXT,
    "failure_reason" TEXT,
    "requested_by" TEXT NOT NULL,
    "source_event_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),

    CONSTRAINT "refunds_pkey" PRIMARY KEY ("refund_id")
);

-- CreateTable
CREATE TABLE "webhook_events" (
    "provider" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "processed" BOOLEAN NOT NULL DEFAULT false,
    "result" TEXT,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_events_pkey" PRIMARY KEY ("provider","event_id")
);

-- CreateTable
CREATE TABLE "outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "inbox" (
    "consumer" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbox_pkey" PRIMARY KEY ("consumer","event_id")
);

-- CreateIndex
CREATE INDEX "payments_order_reference_created_at_idx" ON "payments"("order_reference", "created_at");

-- CreateIndex
CREATE INDEX "payments_user_id_created_at_idx" ON "payments"("user_id", "created_at");

-- CreateIndex
CREATE INDEX "payments_gateway_transaction_id_idx" ON "payments"("gateway_transaction_id");

-- CreateIndex
CREATE UNIQUE INDEX "payment_attempts_payment_id_attempt_number_key" ON "payment_attempts"("payment_id", "attempt_number");

-- CreateIndex
CREATE UNIQUE INDEX "refunds_source_event_id_key" ON "refunds"("source_event_id");

-- CreateIndex
CREATE INDEX "refunds_payment_id_idx" ON "refunds"("payment_id");

-- CreateIndex
CREATE INDEX "refunds_status_created_at_idx" ON "refunds"("status", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_event_id_key" ON "outbox"("event_id");

-- CreateIndex
CREATE INDEX "outbox_published_at_id_idx" ON "outbox"("published_at", "id");

-- AddForeignKey
ALTER TABLE "payments" ADD CONSTRAINT "payments_gateway_fkey" FOREIGN KEY ("gateway") REFERENCES "gateways"("name") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payment_attempts" ADD CONSTRAINT "payment_attempts_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "payments"("payment_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "payments"("payment_id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- At most ONE live payment per order: a second create (or a racing duplicate) fails on this
-- index instead of charging twice. Failed, expired, cancelled and refunded payments do not count.
CREATE UNIQUE INDEX "payments_one_live_per_order" ON "payments"("order_reference")
  WHERE "status" IN ('pending', 'processing', 'completed');

ALTER TABLE "payments" ADD CONSTRAINT "payments_amounts_non_negative"
  CHECK ("amount" >= 0 AND "gateway_fee" >= 0 AND "total_amount" = "amount" + "gateway_fee");
ALTER TABLE "payments" ADD CONSTRAINT "payments_refunds_within_amount"
  CHECK ("refunded_amount" >= 0 AND "refunded_amount" <= "amount");
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_amount_positive" CHECK ("amount" > 0);
ALTER TABLE "payment_attempts" ADD CONSTRAINT "payment_attempts_card_last4"
  CHECK ("card_last4" IS NULL OR "card_last4" ~ '^[0-9]{4}$');

-- The four gateways. Percentage fees are percents (2.90 = 2.9 %), fee = fixed + amount * pct / 100.
INSERT INTO "gateways" ("name", "display_name", "type", "is_active", "test_mode", "fixed_fee", "percentage_fee") VALUES
  ('test_gateway',     'Test Gateway',     'card',    true, true, 0.30, 2.90),
  ('stripe',           'Stripe',           'card',    true, true, 0.30, 2.90),
  ('paypal',           'PayPal',           'wallet',  true, true, 0.49, 3.49),
  ('cash_on_delivery', 'Cash on Delivery', 'offline', true, true, 0.00, 0.00);

-- Outbox wake-up: the relay LISTENs on channel outbox. Same effect as the shared package's
-- OUTBOX_NOTIFY_SQL (one NOTIFY per INSERT statement, delivered at commit), written as a rule
-- because the WASM migration engine splits scripts at every semicolon (comments included)
-- and so cannot run a dollar-quoted plpgsql trigger function.
CREATE RULE outbox_notify AS ON INSERT TO outbox DO ALSO NOTIFY outbox;
