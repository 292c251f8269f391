-- Messages a Kafka consumer gave up on (packages/shared/src/messaging/parked-messages.ts): after
-- KAFKA_MAX_ATTEMPTS failures (at once for an unparseable one) the bus parks the message here and
-- commits past it, so its partition moves on, and an operator retries or discards it (who, when, why).
-- One row per (consumer, topic, partition, offset): a redelivery after a crash parks once.
-- CreateTable
CREATE TABLE "parked_messages" (
    "id" BIGSERIAL NOT NULL,
    "consumer" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset" BIGINT NOT NULL,
    "key" TEXT,
    "event_id" TEXT,
    "event_type" TEXT,
    "envelope" JSONB,
    "raw_value" TEXT,
    "error" JSONB NOT NULL,
    "attempts" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'parked',
    "parked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retry_count" INTEGER NOT NULL DEFAULT 0,
    "last_retry_at" TIMESTAMPTZ(3),
    "last_retry_by" TEXT,
    "resolved_at" TIMESTAMPTZ(3),
    "resolved_by" TEXT,
    "resolution_note" TEXT,

    CONSTRAINT "parked_messages_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "parked_messages_status_parked_at_idx" ON "parked_messages"("status", "parked_at");

-- CreateIndex
CREATE UNIQUE INDEX "parked_messages_consumer_topic_partition_offset_key" ON "parked_messages"("consumer", "topic", "partition", "offset");


-- Not expressible in Prisma: the status values of the transition table (PARKED_TRANSITIONS).
ALTER TABLE "parked_messages" ADD CONSTRAINT "parked_messages_status_check" CHECK ("status" IN ('parked', 'retried', 'discarded'));
