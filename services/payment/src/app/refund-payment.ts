import { notFound, type DomainError } from '@sudamall/shared';
import { refundIdempotencyKey } from '../domain/idempotency';
import { refundErrorOutcome } from '../domain/refunds';
import { paymentNotFound } from './access';
import type { Logger } from 'pino';
import type { Actor } from './deps';
import type { Clock, GatewayRegistry, PaymentStore, RefundLookupRequest, RefundReservation, RefundStore } from './ports';

export interface CreateRefundInput {
  paymentId: string;
  /** Omitted: everything not yet refunded (fee included). */
  amount?: string;
  reason: string;
}

/**
 * Where one gateway call left a refund. `pending`: the outcome is unknown (timeout, outage) or
 * the gateway has not settled it; the amount stays reserved and the sweep reconciles it.
 * `busy`: another call for it is in flight (or it is settled already): nothing was sent.
 */
export type SettledRefund =
  | { outcome: 'completed'; reservation: RefundReservation }
  | { outcome: 'pending'; reservation: RefundReservation; error?: unknown }
  | { outcome: 'failed'; reservation: RefundReservation; error: unknown }
  | { outcome: 'busy' };

/**
 * How long one refund call may run before another may start for the same refund: as long as a
 * charge call (the stale window, derived from the gateway clients' worst case), so a sweep never
 * sends a refund whose first call is still waiting for the gateway.
 */
const leaseSeconds = (staleProcessingSeconds: number, atLeast = 0) => Math.max(atLeast, staleProcessingSeconds);

/**
 * One gateway call for a pending refund, always with its own idempotency key `refund:<id>`. When
 * an earlier call may have reached the gateway (it timed out, or the process died), the gateway's
 * records are asked first, so a refund that went through is recorded, not sent again. Only a
 * definite refusal fails the refund and releases its amount.
 */
export class SettleRefund {
  // Not a use case of its own: the one gateway call that CreateRefund, ResumePendingRefunds and the
  // RefundWorker share (a collaborator they are given).
  constructor(
    private readonly refunds: RefundStore,
    private readonly gateways: GatewayRegistry,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly staleProcessingSeconds: number,
  ) {}

  async execute(refundId: string, atLeastSeconds = 0): Promise<SettledRefund> {
    const leaseFrom = new Date(this.clock.now().getTime() - leaseSeconds(this.staleProcessingSeconds, atLeastSeconds) * 1000);
    const claim = await this.refunds.claimRefundAttempt(refundId, leaseFrom);
    if (!claim) return { outcome: 'busy' };
    const { refund, payment } = claim;
    const log = { refund_id: refundId, payment_id: payment.paymentId, attempt: refund.attemptCount };
    const gateway = this.gateways.get(payment.gateway);
    if (!gateway) {
      const error = notFound('GATEWAY_NOT_AVAILABLE', `gateway ${payment.gateway} is not available`);
      await this.refunds.failRefund(refundId, error.code);
      return { outcome: 'failed', reservation: claim, error };
    }
    const target: RefundLookupRequest = {
      paymentId: payment.paymentId,
      refundId,
      idempotencyKey: refundIdempotencyKey(refundId),
      transactionId: payment.gatewayTransactionId,
      reference: payment.gatewayReference,
      amount: refund.amount,
      currency: payment.currency,
    };
    try {
      if (refund.attemptCount > 1) {
        const found = await gateway.lookupRefund(target);
        this.logger.info({ ...log, found: found.status }, 'pending refund reconciled against the gateway');
        if (found.status === 'succeeded') return { outcome: 'completed', reservation: await this.refunds.completeRefund(refundId, found.gatewayRefundId) };
        if (found.status === 'failed') {
          await this.refunds.failRefund(refundId, found.code);
          return { outcome: 'failed', reservation: claim, error: new Error(`the gateway failed refund ${found.gatewayRefundId}: ${found.code}`) };
        }
        if (found.status === 'pending') {
          const still = await this.refunds.noteRefundPending(refundId, `gateway refund ${found.gatewayRefundId} not settled yet`);
          return { outcome: 'pending', reservation: still ?? claim };
        }
        // not_found: nothing reached the gateway, so sending now cannot refund twice.
      }
      const result = await gateway.refund({ ...target, reason: refund.reason });
      return { outcome: 'completed', reservation: await this.refunds.completeRefund(refundId, result.gatewayRefundId) };
    } catch (e) {
      const code = (e as Partial<DomainError>).code ?? 'GATEWAY_ERROR';
      if (refundErrorOutcome(e) === 'rejected') {
        this.logger.warn({ ...log, err: (e as Error).message, code }, 'the gateway refused the refund');
        await this.refunds.failRefund(refundId, code);
        return { outcome: 'failed', reservation: claim, error: e };
      }
      this.logger.warn({ ...log, err: (e as Error).message, code }, 'refund outcome unknown: kept pending, to be reconciled');
      const still = await this.refunds.noteRefundPending(refundId, `${code}: ${(e as Error).message}`);
      return { outcome: 'pending', reservation: still ?? claim, error: e };
    }
  }
}

/**
 * Admin refund: full (total_amount − refunded) by default; the sum of refunds never exceeds what
 * was charged (row lock). `pending`: the gateway did not answer in time; the amount stays
 * reserved and the refund is reconciled, never sent a second time under another key.
 */
export class CreateRefund {
  constructor(
    private readonly payments: PaymentStore,
    private readonly refunds: RefundStore,
    private readonly settleRefund: SettleRefund,
  ) {}

  async execute(actor: Actor, input: CreateRefundInput): Promise<{ outcome: 'completed' | 'pending' } & RefundReservation> {
    const payment = await this.payments.findPayment(input.paymentId);
    if (!payment) throw paymentNotFound(input.paymentId);
    const reservation = await this.refunds.reserveRefund({
      paymentId: payment.paymentId,
      amount: input.amount,
      reason: input.reason,
      requestedBy: actor.id,
    });
    const settled = await this.settleRefund.execute(reservation.refund.refundId);
    if (settled.outcome === 'failed') throw settled.error;
    if (settled.outcome === 'busy') return { outcome: 'pending', ...reservation };
    return { outcome: settled.outcome, ...settled.reservation };
  }
}

/**
 * Pending refunds (admin and saga) that nobody is sending: never sent (a crash right after the
 * reservation) or of unknown outcome. Reconciled first, then sent with their own keys.
 */
export class ResumePendingRefunds {
  constructor(
    private readonly refunds: RefundStore,
    private readonly settleRefund: SettleRefund,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly staleProcessingSeconds: number,
  ) {}

  async execute(olderThanSeconds: number): Promise<number> {
    const window = leaseSeconds(this.staleProcessingSeconds, olderThanSeconds);
    const stale = await this.refunds.findStalePendingRefunds(new Date(this.clock.now().getTime() - window * 1000), 50);
    let done = 0;
    for (const refund of stale) {
      const settled = await this.settleRefund.execute(refund.refundId, olderThanSeconds).catch((err: unknown) => {
        this.logger.error({ err, refund_id: refund.refundId }, 'pending refund sweep failed');
        return null;
      });
      if (settled?.outcome === 'completed') done += 1;
    }
    return done;
  }
}
