// When the buyer's payment window closes. The window is counted from when order learns the stock
// is reserved, but inventory's reservation lapses on its own clock, counted from when it reserved:
// a consumer that lags (a backlog, a restart, a replayed topic) would otherwise keep the order
// payable after inventory gave the stock back, and the buyer would pay for released stock.
import { unprocessable } from '@sudamall/shared';

export interface PaymentDeadlineInput {
  now: Date;
  /** How long the buyer has to pay (PAYMENT_WINDOW_SECONDS). */
  windowMs: number;
  /** When inventory lets the reservation lapse (`stock.reserved.expires_at`); absent in older events. */
  reservationExpiresAt?: Date;
  /** Time kept between the payment deadline and the reservation's expiry, for a payment finishing late and the confirm's trip. */
  marginMs: number;
}

export interface PaymentDeadline {
  deadlineAt: Date;
  /** The reservation's expiry, not the window, set the deadline (the event was processed late, or the TTL is short). */
  shortened: boolean;
}

/** `min(now + window, expires_at − margin)`; without an expiry (an event from before it was sent), `now + window`. */
export function paymentDeadline(input: PaymentDeadlineInput): PaymentDeadline {
  const byWindow = input.now.getTime() + input.windowMs;
  if (!input.reservationExpiresAt) return { deadlineAt: new Date(byWindow), shortened: false };
  const byReservation = input.reservationExpiresAt.getTime() - input.marginMs;
  return byReservation < byWindow ? { deadlineAt: new Date(byReservation), shortened: true } : { deadlineAt: new Date(byWindow), shortened: false };
}

/** `stock.reserved.expires_at` as a date; missing or malformed (an old or foreign producer): undefined, and the window alone applies. */
export function reservationExpiryOf(data: unknown): Date | undefined {
  const raw = (data as { expires_at?: unknown } | null)?.expires_at;
  if (typeof raw !== 'string') return undefined;
  const d = new Date(raw);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * The window of one order asked for at placement (`payment_window_seconds`), for demos and tests
 * that show an expiry without shortening every order's window. Honoured only in test mode
 * (ORDER_TEST_MODE, never on in production) and only to shorten: it can never give a buyer longer
 * than the platform's window. Undefined: the platform's window.
 */
export function requestedPaymentWindowMs(requestedSeconds: number | undefined, cfg: { testMode: boolean; windowSeconds: number }): number | undefined {
  if (requestedSeconds === undefined) return undefined;
  // 422, not 400: the value is well formed; whether it may be used depends on this deployment
  // (test mode, its platform window).
  if (!cfg.testMode) {
    throw unprocessable('PAYMENT_WINDOW_TEST_MODE_ONLY', 'payment_window_seconds is accepted only in test mode (ORDER_TEST_MODE)');
  }
  if (!Number.isInteger(requestedSeconds) || requestedSeconds < 1 || requestedSeconds > cfg.windowSeconds) {
    throw unprocessable('INVALID_PAYMENT_WINDOW', `payment_window_seconds must be an integer from 1 to ${cfg.windowSeconds} (the platform's window)`, {
      payment_window_seconds: requestedSeconds,
    });
  }
  return requestedSeconds * 1000;
}

/**
 * Why a configuration cannot keep its promise: the window plus the margin must fit inside the
 * reservation's lifetime, or every buyer who pays late in the window pays for stock inventory
 * has already released. Empty when it fits.
 */
export function paymentWindowProblems(cfg: { windowSeconds: number; marginSeconds: number; reservationTtlSeconds: number }): string[] {
  if (cfg.windowSeconds + cfg.marginSeconds <= cfg.reservationTtlSeconds) return [];
  return [
    `PAYMENT_WINDOW_SECONDS (${cfg.windowSeconds}) + RESERVATION_EXPIRY_MARGIN_SECONDS (${cfg.marginSeconds}) must not exceed ` +
      `RESERVATION_TTL_SECONDS (${cfg.reservationTtlSeconds}, inventory's reservation lifetime): the payment window would outlive the reservation`,
  ];
}

/** Where an order's payment window stands at `now`, as the buyer's countdown and check-payment show it. */
export interface PaymentWindowState {
  expiresAt: Date | null;
  secondsRemaining: number;
  expired: boolean;
}

export function paymentWindowOf(order: { status: string; paymentExpiresAt: Date | null }, now: Date): PaymentWindowState {
  const expiresAt = order.paymentExpiresAt;
  // Only an order waiting for payment has a running window; once paid or cancelled, it is over.
  const open = order.status === 'under_paying' && expiresAt !== null;
  const remainingMs = open ? expiresAt.getTime() - now.getTime() : 0;
  return {
    expiresAt,
    secondsRemaining: Math.max(0, Math.floor(remainingMs / 1000)),
    expired: order.status === 'under_paying' ? remainingMs <= 0 : order.status === 'cancelled' && expiresAt !== null && expiresAt.getTime() <= now.getTime(),
  };
}

/** Why payment may not charge the order now ('' when it may): cancelled, not waiting for payment, or its window closed. */
export function notPayableReason(
  order: { status: string; paymentExpiresAt: Date | null },
  now: Date,
): '' | 'ORDER_CANCELLED' | 'ORDER_NOT_AWAITING_PAYMENT' | 'PAYMENT_WINDOW_EXPIRED' {
  if (order.status === 'cancelled') return 'ORDER_CANCELLED';
  if (order.status !== 'under_paying') return 'ORDER_NOT_AWAITING_PAYMENT';
  if (!order.paymentExpiresAt || order.paymentExpiresAt.getTime() <= now.getTime()) return 'PAYMENT_WINDOW_EXPIRED';
  return '';
}
