import { assertCanSee, paymentNotFound } from './access';
import type { Actor } from './deps';
import type { PaymentStore } from './ports';
import type { PaymentDetail } from './records';

/** A payment with its attempts and refunds: its payer's, or any for an admin. */
export class GetPaymentDetail {
  constructor(private readonly payments: PaymentStore) {}

  async execute(actor: Actor, paymentId: string): Promise<PaymentDetail> {
    const detail = await this.payments.getPaymentDetail(paymentId);
    if (!detail) throw paymentNotFound(paymentId);
    assertCanSee(actor, detail.payment);
    return detail;
  }
}
