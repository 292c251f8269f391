// Keys sent to gateways. Derived, never random: the same attempt (a retry after a timeout, a
// resumed attempt after a crash) always presents the same key, so the gateway answers with the
// first result instead of charging or refunding again.

export const chargeIdempotencyKey = (paymentId: string, attemptNumber: number) => `payment:${paymentId}:attempt:${attemptNumber}`;

export const refundIdempotencyKey = (refundId: string) => `refund:${refundId}`;

/** One key per duplicate capture: its automatic refund is sent (and retried) once at the gateway. */
export const duplicateCaptureRefundKey = (duplicateCaptureId: string) => `duplicate-capture-refund:${duplicateCaptureId}`;
