import type { Logger } from 'pino';
import { assertCanCollect, paymentNotFound } from './access';
import type { Actor } from './deps';
import type { OrdersPort, PaymentStore } from './ports';
import type { PaymentRecord } from './records';

/**
 * Cash on delivery: an admin, or a seller of a store in the order, confirms the cash was
 * collected (pending → completed). The order's stores come from the order service, which owns them.
 */
export class CollectPayment {
  constructor(
    private readonly payments: PaymentStore,
    private readonly orders: OrdersPort,
    private readonly logger: Logger,
  ) {}

  async execute(actor: Actor, paymentId: string): Promise<PaymentRecord> {
    const payment = await this.payments.findPayment(paymentId);
    if (!payment) throw paymentNotFound(paymentId);
    if (actor.role !== 'admin') assertCanCollect(actor, await this.orders.getOrderForPayment(payment.orderReference));
    const collected = await this.payments.markCollected(paymentId, actor.id);
    this.logger.info({ payment_id: paymentId, collected_by: actor.id }, 'cash on delivery collected');
    return collected;
  }
}
