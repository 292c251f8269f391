// JSON shapes of the REST API (snake_case, money as "12.30", timestamps ISO-8601).
import type { GatewaySettingsAuditRecord } from '../app/update-gateway-settings';
import type { AttemptRecord, DuplicateCaptureRecord, GatewayRecord, PaymentRecord, RefundRecord } from '../app/records';
import { refundableAmount } from '../domain/refunds';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function paymentView(p: PaymentRecord) {
  return {
    payment_id: p.paymentId,
    order_reference: p.orderReference,
    user_id: p.userId,
    gateway: p.gateway,
    payment_method: p.paymentMethod,
    currency: p.currency,
    amount: p.amount,
    gateway_fee: p.gatewayFee,
    total_amount: p.totalAmount,
    refunded_amount: p.refundedAmount,
    refundable_amount: refundableAmount(p),
    status: p.status,
    attempt_count: p.attemptCount,
    gateway_transaction_id: p.gatewayTransactionId,
    gateway_reference: p.gatewayReference,
    failure_reason: p.failureReason,
    metadata: p.metadata,
    expires_at: iso(p.expiresAt),
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
    completed_at: iso(p.completedAt),
    cancelled_at: iso(p.cancelledAt),
  };
}

export function attemptView(a: AttemptRecord) {
  return {
    attempt_number: a.attemptNumber,
    status: a.status,
    failure_code: a.failureCode,
    failure_reason: a.failureReason,
    card_last4: a.cardLast4,
    gateway_response: a.gatewayResponse,
    created_at: a.createdAt.toISOString(),
    completed_at: iso(a.completedAt),
  };
}

export function refundView(r: RefundRecord) {
  return {
    refund_id: r.refundId,
    payment_id: r.paymentId,
    amount: r.amount,
    reason: r.reason,
    status: r.status,
    gateway_refund_id: r.gatewayRefundId,
    failure_reason: r.failureReason,
    requested_by: r.requestedBy,
    refund_key: r.refundKey,
    attempt_count: r.attemptCount,
    last_error: r.lastError,
    created_at: r.createdAt.toISOString(),
    processed_at: iso(r.processedAt),
  };
}

export function gatewayView(g: GatewayRecord) {
  return {
    name: g.name,
    display_name: g.displayName,
    type: g.type,
    test_mode: g.testMode,
    fixed_fee: g.fixedFee,
    percentage_fee: g.percentageFee,
  };
}

export function duplicateCaptureView(d: DuplicateCaptureRecord) {
  return {
    id: d.id,
    payment_id: d.paymentId,
    order_id: d.orderReference,
    gateway: d.gateway,
    transaction_id: d.transactionId,
    amount: d.amount,
    currency: d.currency,
    source: d.source,
    live_payment_id: d.livePaymentId,
    status: d.status,
    gateway_refund_id: d.gatewayRefundId,
    refund_attempts: d.refundAttempts,
    last_error: d.lastError,
    detected_at: d.detectedAt.toISOString(),
    refunded_at: iso(d.refundedAt),
  };
}

/** One gateway settings change, as the audit list and the PUT answer show it. */
export function auditView(a: GatewaySettingsAuditRecord) {
  return {
    id: a.id,
    gateway: a.gateway,
    changed_by: a.changedBy,
    actor_role: a.actorRole,
    changed_at: a.changedAt.toISOString(),
    old: a.oldSettings,
    new: a.newSettings,
  };
}
