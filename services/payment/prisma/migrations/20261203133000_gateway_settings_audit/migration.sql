-- Admin gateway settings (PUT /api/v1/payments/gateways/{name}/): each change of fixed_fee,
-- percentage_fee or is_active is written with its audit row in one transaction. Payments keep the
-- fee computed at their creation, so a change applies to new payments only.
-- CreateTable
CREATE TABLE "gateway_settings_audit" (
    "id" BIGSERIAL NOT NULL,
    "gateway" TEXT NOT NULL,
    "changed_by" TEXT NOT NULL,
    "actor_role" TEXT NOT NULL,
    "changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "old_settings" JSONB NOT NULL,
    "new_settings" JSONB NOT NULL,

    CONSTRAINT "gateway_settings_audit_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "gateway_settings_audit_gateway_changed_at_idx" ON "gateway_settings_audit"("gateway", "changed_at" DESC);

-- AddForeignKey
ALTER TABLE "gateway_settings_audit" ADD CONSTRAINT "gateway_settings_audit_gateway_fkey" FOREIGN KEY ("gateway") REFERENCES "gateways"("name") ON DELETE RESTRICT ON UPDATE CASCADE;

