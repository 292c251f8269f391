// Which of a user's orders are waiting for payment, and how long each has left: the state behind
// the `payment_deadline` ticks of /ws/orders/{user_id}/. Pure (the caller brings the clock).

export interface DeadlineTick {
  user_id: string;
  order_id: string;
  seconds_remaining: number;
  expires_at: string;
}

export class PaymentDeadlines {
  private readonly byUser = new Map<string, Map<string, Date>>();

  track(userId: string, orderId: string, expiresAt: Date): void {
    let orders = this.byUser.get(userId);
    if (!orders) this.byUser.set(userId, (orders = new Map<string, Date>()));
    orders.set(orderId, expiresAt);
  }

  untrack(userId: string, orderId: string): void {
    const orders = this.byUser.get(userId);
    orders?.delete(orderId);
    if (orders && orders.size === 0) this.byUser.delete(userId);
  }

  expiresAt(userId: string, orderId: string): Date | undefined {
    return this.byUser.get(userId)?.get(orderId);
  }

  isTracked(userId: string, orderId: string): boolean {
    return this.byUser.get(userId)?.has(orderId) ?? false;
  }

  /**
   * One tick per tracked order of the watched users. Seconds round up, so the buyer sees 0 only
   * once the window has really closed; that last tick is sent once and the order is dropped (the
   * saga's cancellation follows as an order event). Users no longer watched are forgotten.
   */
  ticks(now: Date, watched: ReadonlySet<string>, onlyUser?: string): DeadlineTick[] {
    const out: DeadlineTick[] = [];
    for (const [userId, orders] of [...this.byUser]) {
      if (!watched.has(userId)) {
        this.byUser.delete(userId);
        continue;
      }
      if (onlyUser !== undefined && userId !== onlyUser) continue;
      for (const [orderId, expiresAt] of [...orders]) {
        const seconds = Math.max(0, Math.ceil((expiresAt.getTime() - now.getTime()) / 1000));
        out.push({ user_id: userId, order_id: orderId, seconds_remaining: seconds, expires_at: expiresAt.toISOString() });
        if (seconds === 0) this.untrack(userId, orderId);
      }
    }
    return out;
  }
}
