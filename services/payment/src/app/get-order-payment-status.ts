import { notFound } from '@sudamall/shared';
import { assertCanSee } from './access';
import type { Actor } from './deps';
import type { PaymentStore } from './ports';
import type { PaymentRecord } from './records';

/** The order's live payment, else its latest. */
export class GetOrderPaymentStatus {
  constructor(private readonly payments: PaymentStore) {}

  async execute(actor: Actor, orderReference: string): Promise<PaymentRecord> {
    const payment = await this.payments.findCurrentPaymentForOrder(orderReference);
    if (!payment) throw notFound('PAYMENT_NOT_FOUND', `no payment for order ${orderReference}`, { order_reference: orderReference });
    assertCanSee(actor, payment);
    return payment;
  }
}
