import { isDomainError } from '@sudamall/shared';
import type { Logger } from 'pino';
import { chargeRequestFor, isUnknownOutcome, type ChargeOutcomes } from './charge-outcome';
import { voidRequestOf } from '../domain/payment-status';
import { notPayable } from './create-payment';
import type { ChargeStore, Clock, GatewayRegistry, OrdersPort, PaymentStore } from './ports';
import type { PaymentRecord } from './records';

export interface SweepResult {
  /** Settled from what the gateway said, or replayed because the gateway never saw the attempt. */
  resumed: number;
  /** Never charged (the gateway says so) and the order can no longer be paid: expired. */
  closed: number;
  /** Still in flight, or the gateway could not say: left open for the next sweep. */
  open: number;
}

/**
 * Payments a crash or a gateway outage left `processing` with nobody coming back for them.
 * Nothing is guessed: the gateway is asked first. Captured, declined or waiting for the payer:
 * that is recorded. Still in flight or unknown: left open, asked again next sweep (the stale
 * window outlasts the gateway client's worst case, so a live call has ended by then, but the
 * gateway may still be working on it). Never seen by the gateway: nothing was charged, so while
 * the order can be paid the attempt is replayed with its own idempotency key, and once it cannot,
 * the payment expires.
 */
export class ResumeStalePayments {
  constructor(
    private readonly payments: PaymentStore,
    private readonly charges: ChargeStore,
    private readonly orders: OrdersPort,
    private readonly gateways: GatewayRegistry,
    private readonly outcomes: ChargeOutcomes,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly staleProcessingSeconds: number,
  ) {}

  async execute(): Promise<SweepResult> {
    const staleSeconds = this.staleProcessingSeconds;
    const stale = await this.charges.findStaleProcessing(new Date(this.clock.now().getTime() - staleSeconds * 1000), 20);
    const out: SweepResult = { resumed: 0, closed: 0, open: 0 };
    for (const { payment, paymentMethodId } of stale) {
      const r = await this.settleStaleAttempt(payment, paymentMethodId);
      if (r === 'settled' || r === 'replayed') out.resumed += 1;
      else if (r === 'closed') out.closed += 1;
      else if (r === 'open') out.open += 1;
    }
    if (stale.length > 0) this.logger.info({ stale: stale.length, ...out }, 'stale payments swept');
    return out;
  }

  private async settleStaleAttempt(payment: PaymentRecord, paymentMethodId: string | null): Promise<'settled' | 'replayed' | 'closed' | 'open' | 'skipped'> {
    const found = await this.outcomes.lookupCurrentAttempt(payment);
    if (!found || found.status === 'processing') {
      this.logger.info(
        { payment_id: payment.paymentId, attempt: payment.attemptCount, gateway: found?.raw ?? null },
        'stale payment: outcome not known yet, left open',
      );
      return 'open';
    }
    if (found.status !== 'not_found') {
      await this.outcomes.record(payment.paymentId, payment.attemptCount, found);
      this.logger.info({ payment_id: payment.paymentId, attempt: payment.attemptCount, outcome: found.status }, 'stale payment settled from the gateway');
      return 'settled';
    }

    if (voidRequestOf(payment.metadata)) {
      // The order asked for a void meanwhile and nothing was charged: close as the void would have.
      await this.charges.recordAttemptError(
        payment.paymentId,
        payment.attemptCount,
        { code: 'NOT_CHARGED', message: 'the gateway never saw the attempt' },
        false,
      );
      return 'closed';
    }

    let payable = false;
    try {
      const order = await this.orders.getOrderForPayment(payment.orderReference);
      payable = order.payable && (!order.paymentExpiresAt || order.paymentExpiresAt.getTime() > this.clock.now().getTime());
      if (!payable) this.logger.info({ payment_id: payment.paymentId, reason: notPayable(order).code }, 'stale payment: order no longer payable');
    } catch (e) {
      if (!isDomainError(e) || e.kind !== 'not_found') return 'open'; // order service unreachable: next sweep
    }
    const staleSeconds = this.staleProcessingSeconds;
    const claim = await this.charges.claimForProcessing({
      paymentId: payment.paymentId,
      staleAfterSeconds: staleSeconds,
      cardLast4: null,
      now: this.clock.now(),
    });
    if (!claim) return 'skipped'; // someone else resumed it meanwhile
    const gateway = this.gateways.get(payment.gateway);
    if (!payable || !gateway) {
      await this.charges.recordAttemptError(
        payment.paymentId,
        claim.attemptNumber,
        { code: 'NOT_CHARGED', message: 'the gateway never saw the attempt' },
        false,
      );
      await this.payments.closePayment(payment.paymentId, 'expired', 'payment_window_expired');
      return 'closed';
    }
    try {
      const result = await gateway.charge(chargeRequestFor(claim, paymentMethodId ? { paymentMethodId } : {}));
      await this.outcomes.record(payment.paymentId, claim.attemptNumber, result);
      return 'replayed';
    } catch (e) {
      const unknownOutcome = isUnknownOutcome(e);
      const code = isDomainError(e) ? e.code : 'GATEWAY_ERROR';
      await this.charges.recordAttemptError(payment.paymentId, claim.attemptNumber, { code, message: (e as Error).message }, unknownOutcome);
      return unknownOutcome ? 'open' : 'closed';
    }
  }
}
