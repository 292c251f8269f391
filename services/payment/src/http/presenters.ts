// JSON shapes of the REST API in one place (snake_case, money as "12.30", timestamps ISO-8601):
// routes parse, call one use case and answer with one of these.
import type { GatewaySettingsAuditRecord } from '../app/update-gateway-settings';
import type { ProcessPaymentResult } from '../app/process-payment';
import type { TestPaymentResult } from '../app/run-test-payment';
import type { AttemptRecord, DuplicateCaptureRecord, GatewayRecord, Page, PaymentDetail, PaymentRecord, RefundRecord } from '../app/records';
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

/** A page of a list: its items, how many there are in all, and the page asked for. */
export function pageView<T, V>(result: Page<T>, view: (item: T) => V, page: number, pageSize: number) {
  return { items: result.items.map(view), total: result.total, page, page_size: pageSize };
}

/** A payment with its attempts and refunds (detail/). */
export function paymentDetailView(detail: PaymentDetail) {
  return { ...paymentView(detail.payment), attempts: detail.attempts.map(attemptView), refunds: detail.refunds.map(refundView) };
}

/** What one `process` call did. */
export function processResultView(result: ProcessPaymentResult) {
  return {
    payment: paymentView(result.payment),
    attempt_number: result.attemptNumber,
    outcome: result.outcome,
    failure_code: result.failureCode,
    failure_message: result.failureMessage,
    retryable: result.retryable,
    action_url: result.actionUrl,
  };
}

/** A refund with its payment as the refund left it (refunds/create/). */
export function refundCreatedView(r: { refund: RefundRecord; payment: PaymentRecord }) {
  return { refund: refundView(r.refund), payment: paymentView(r.payment) };
}

/** The public payment configuration (config/): `gateways` are the names of the active, configured ones. */
export function paymentConfigView(
  settings: { testMode: boolean; currency: string; paymentWindowMinutes: number; stripePublishableKey: string; paypalClientId: string },
  gateways: GatewayRecord[],
) {
  return {
    test_mode: settings.testMode,
    currency: settings.currency,
    payment_window_minutes: settings.paymentWindowMinutes,
    gateways: gateways.map((g) => g.name),
    stripe_publishable_key: settings.stripePublishableKey,
    paypal_client_id: settings.paypalClientId,
  };
}

/** A gateway settings change (PUT gateways/{name}/): the gateway with is_active, and its audit row (null when nothing changed). */
export function gatewaySettingsChangeView(r: { gateway: GatewayRecord; audit: GatewaySettingsAuditRecord | null }) {
  return { gateway: { ...gatewayView(r.gateway), is_active: r.gateway.isActive }, audit: r.audit ? auditView(r.audit) : null };
}

/** Test mode's one charge at the test gateway (test/). */
export function testPaymentView(r: TestPaymentResult) {
  return {
    gateway: r.gateway,
    amount: r.amount,
    gateway_fee: r.gatewayFee,
    total_amount: r.totalAmount,
    card_last4: r.cardLast4,
    outcome: r.outcome,
    failure_code: r.failureCode,
    failure_message: r.failureMessage,
    transaction_id: r.transactionId,
  };
}
