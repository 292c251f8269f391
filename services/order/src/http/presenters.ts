// The JSON shapes of order's REST answers, in one place: what a route sends is built here from
// what its use case returned (the documents in routes/*/schemas.ts describe the same shapes).
import type { AuthUser } from '@sudamall/shared';
import type { PaymentCheck } from '../app/check-payment';
import type { ProfileFields } from '../domain/address';
import type { PaymentWindowState } from '../domain/payment-deadline';
import type { OrderStatus } from '../domain/order-status';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export interface PaymentWindowJson {
  order_id: string;
  status: OrderStatus;
  expires_at: string | null;
  seconds_remaining: number;
  expired: boolean;
}

/** GET orders/payment-status/{id}/: the buyer's countdown. */
export function presentPaymentWindow(order: { id: string; status: OrderStatus }, window: PaymentWindowState): PaymentWindowJson {
  return {
    order_id: order.id,
    status: order.status,
    expires_at: iso(window.expiresAt),
    seconds_remaining: window.secondsRemaining,
    expired: window.expired,
  };
}

/** GET orders/check-payment/{id}/: the order's status beside the payment service's view. */
export function presentPaymentCheck(check: PaymentCheck) {
  const { order, window, payment } = check;
  return {
    order_id: order.id,
    order_status: order.status,
    total_amount: order.totalAmount,
    payment_expires_at: iso(window.expiresAt),
    seconds_remaining: window.secondsRemaining,
    expired: window.expired,
    paid: check.paid,
    payment_service: check.paymentService,
    payment: payment
      ? {
          payment_id: payment.paymentId,
          status: payment.status,
          amount: payment.amount,
          gateway_fee: payment.gatewayFee,
          total_amount: payment.totalAmount,
          refunded_amount: payment.refundedAmount,
          gateway: payment.gateway,
        }
      : null,
  };
}

/** GET|PUT accounts/profile/: who the token says (id, email, role) and what the platform keeps (name, phone). */
export function presentProfile(user: AuthUser, profile: ProfileFields) {
  return { id: user.id, email: user.email ?? null, role: user.role, name: profile.name, phone: profile.phone };
}
