// /ws/payments/{payment_id}/: attempt outcomes, refunds and voids of one payment, pushed to the
// sockets of THIS instance. Every instance reads all of payment.events with a consumer group of
// its own (liveConsumerGroupName): the service's command consumer group splits partitions
// between instances, so it could not tell every instance about every payment.
import {
  Topics,
  liveConsumerGroupName,
  liveMessage,
  topicName,
  type AnyEnvelope,
  type KafkaBus,
  type LiveHub,
  type LiveStream,
  type Subscription,
} from '@sudamall/shared';

export const PAYMENTS_STREAM = 'payments';

/** Who owns a payment (the repository's lookup). */
export interface PaymentOwners {
  findPayment(paymentId: string): Promise<{ userId: string } | null>;
}

export class PaymentLiveFeed {
  private subscription: Subscription | undefined;

  constructor(
    readonly hub: LiveHub,
    private readonly payments: PaymentOwners,
  ) {}

  /** The payer watches their payment, admins any; an unknown payment is refused like a foreign one. */
  stream(): LiveStream {
    return {
      name: PAYMENTS_STREAM,
      authorize: async (user, paymentId) => {
        if (user.role === 'admin') return true;
        const payment = await this.payments.findPayment(paymentId);
        return payment !== null && payment.userId === user.id;
      },
    };
  }

  /** Maps one payment event to what the payer sees (public so tests can drive it without Kafka). */
  handle(envelope: AnyEnvelope): void {
    switch (envelope.type) {
      case 'payment.succeeded': {
        const d = envelope.data;
        this.push(d.payment_id, envelope, {
          payment_id: d.payment_id,
          order_id: d.order_id,
          status: 'completed',
          gateway: d.gateway,
          amount: d.amount,
          gateway_fee: d.gateway_fee,
          total_amount: d.total_amount,
        });
        return;
      }
      case 'payment.failed': {
        const d = envelope.data;
        this.push(d.payment_id, envelope, {
          payment_id: d.payment_id,
          order_id: d.order_id,
          status: 'failed',
          attempt_number: d.attempt_number,
          reason: d.reason,
        });
        return;
      }
      case 'payment.refunded': {
        const d = envelope.data;
        this.push(d.payment_id, envelope, { payment_id: d.payment_id, order_id: d.order_id, refund_id: d.refund_id, amount: d.amount, reason: d.reason });
        return;
      }
      case 'payment.voided': {
        const d = envelope.data;
        // A void with no payment (the order was never paid for) has no stream to go to.
        if (d.payment_id) this.push(d.payment_id, envelope, { payment_id: d.payment_id, order_id: d.order_id, reason: d.reason });
        return;
      }
      default:
        return;
    }
  }

  /** Reads payment.events from now on with this instance's own group. */
  async start(bus: KafkaBus, topicPrefix: string): Promise<void> {
    this.subscription = await bus.subscribe({
      groupId: liveConsumerGroupName(topicPrefix, 'payment'),
      topics: [topicName(topicPrefix, Topics.paymentEvents)],
      fromBeginning: false,
      // This instance's own view, read from now on: nothing to park for anyone to retry.
      park: false,
      handle: async (envelope) => this.handle(envelope),
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  private push(paymentId: string, envelope: AnyEnvelope, data: Record<string, unknown>): void {
    this.hub.publish(PAYMENTS_STREAM, paymentId, liveMessage(envelope.type, data, envelope.occurred_at));
  }
}
