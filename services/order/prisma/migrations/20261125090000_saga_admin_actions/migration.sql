-- Operator actions on checkout sagas (saga dashboard): who did what, when and why. One row per
-- action: (order_id, idempotency_key) makes a repeated submit (double click, retried request)
-- return the first outcome instead of acting twice.
CREATE TABLE "saga_admin_actions" (
    "id" BIGSERIAL NOT NULL,
    "order_id" UUID NOT NULL,
    "action" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "actor_id" TEXT NOT NULL,
    "actor_role" TEXT NOT NULL,
    "note" TEXT NOT NULL DEFAULT '',
    "state_before" TEXT NOT NULL,
    "step_before" TEXT NOT NULL,
    "state_after" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "saga_admin_actions_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "saga_admin_actions_order_id_idempotency_key_key" ON "saga_admin_actions"("order_id", "idempotency_key");
CREATE INDEX "saga_admin_actions_order_id_id_idx" ON "saga_admin_actions"("order_id", "id");
