import { paymentDeadline, paymentWindowProblems, reservationExpiryOf } from '../../src/domain/payment-deadline';

const now = new Date('2026-12-03T12:00:00.000Z');
const at = (s: string) => new Date(s);

describe('paymentDeadline = min(now + window, expires_at − margin)', () => {
  it('is now + window when the reservation outlives it', () => {
    const d = paymentDeadline({ now, windowMs: 900_000, reservationExpiresAt: at('2026-12-03T12:20:00.000Z'), marginMs: 60_000 });
    expect(d).toEqual({ deadlineAt: at('2026-12-03T12:15:00.000Z'), shortened: false });
  });

  it('is expires_at − margin when the event was processed late (a lagging consumer)', () => {
    // Reserved at 11:50 with a 20-minute TTL, processed at 12:00.
    const d = paymentDeadline({ now, windowMs: 900_000, reservationExpiresAt: at('2026-12-03T12:10:00.000Z'), marginMs: 60_000 });
    expect(d).toEqual({ deadlineAt: at('2026-12-03T12:09:00.000Z'), shortened: true });
  });

  it('is already past when the reservation is (nearly) gone: the order cannot be paid', () => {
    const d = paymentDeadline({ now, windowMs: 900_000, reservationExpiresAt: at('2026-12-03T12:00:30.000Z'), marginMs: 60_000 });
    expect(d.deadlineAt.getTime()).toBeLessThan(now.getTime());
    expect(d.shortened).toBe(true);
  });

  it('equal bounds keep the window', () => {
    const d = paymentDeadline({ now, windowMs: 900_000, reservationExpiresAt: at('2026-12-03T12:16:00.000Z'), marginMs: 60_000 });
    expect(d).toEqual({ deadlineAt: at('2026-12-03T12:15:00.000Z'), shortened: false });
  });

  it('is now + window for an event without expires_at (sent before inventory carried it)', () => {
    expect(paymentDeadline({ now, windowMs: 900_000, marginMs: 60_000 })).toEqual({ deadlineAt: at('2026-12-03T12:15:00.000Z'), shortened: false });
  });
});

describe('reservationExpiryOf', () => {
  it('reads an ISO expires_at, and ignores a missing or malformed one', () => {
    expect(reservationExpiryOf({ expires_at: '2026-12-03T12:10:00.000Z' })).toEqual(at('2026-12-03T12:10:00.000Z'));
    expect(reservationExpiryOf({})).toBeUndefined();
    expect(reservationExpiryOf({ expires_at: 'soon' })).toBeUndefined();
    expect(reservationExpiryOf({ expires_at: 12 })).toBeUndefined();
    expect(reservationExpiryOf(null)).toBeUndefined();
  });
});

describe('paymentWindowProblems', () => {
  it('accepts a window that fits inside the reservation with its margin', () => {
    expect(paymentWindowProblems({ windowSeconds: 900, marginSeconds: 60, reservationTtlSeconds: 1200 })).toEqual([]);
    expect(paymentWindowProblems({ windowSeconds: 1140, marginSeconds: 60, reservationTtlSeconds: 1200 })).toEqual([]);
  });
  it('refuses one that does not, naming the variables', () => {
    const [problem] = paymentWindowProblems({ windowSeconds: 1200, marginSeconds: 60, reservationTtlSeconds: 1200 });
    expect(problem).toMatch(/PAYMENT_WINDOW_SECONDS \(1200\).*RESERVATION_EXPIRY_MARGIN_SECONDS \(60\).*RESERVATION_TTL_SECONDS \(1200/);
  });
});
