// A checkout whose order was still reserving stock when PlaceOrder answered stays pending, its
// items in the cart. When order.events says the order reached under_paying, the attempt is
// settled like an immediate acceptance: the ordered quantities leave the cart, once.
import type { CheckoutStore } from '../infra/checkout-store';
import type { CheckoutResponse } from './checkout';

export class SettleCheckout {
  constructor(private readonly checkouts: CheckoutStore) {}

  /** Returns true when this call settled a pending checkout. */
  async orderAccepted(orderId: string, status: string, paymentExpiresAt: string | null): Promise<boolean> {
    const record = await this.checkouts.pendingForOrder(orderId);
    if (!record || !record.response) return false;
    const body = { ...(record.response.body as CheckoutResponse), status, payment_expires_at: paymentExpiresAt };
    return this.checkouts.complete(record, orderId, { statusCode: 201, body }, record.kind === 'full');
  }
}
