import type { PaymentStore } from './ports';
import type { PaymentRecord } from './records';

// What the internal peers (order, cart) ask over gRPC: no actor (the peers are trusted callers
// on the internal network), null when there is none (the transport answers NOT_FOUND).

/** The order's current payment: the live one, else the latest. */
export class GetOrderPaymentForPeer {
  constructor(private readonly payments: PaymentStore) {}

  execute(orderReference: string): Promise<PaymentRecord | null> {
    return this.payments.findCurrentPaymentForOrder(orderReference);
  }
}

/** One payment by id. */
export class GetPaymentForPeer {
  constructor(private readonly payments: PaymentStore) {}

  execute(paymentId: string): Promise<PaymentRecord | null> {
    return this.payments.findPayment(paymentId);
  }
}
