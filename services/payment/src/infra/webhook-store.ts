// webhook_events: each gateway event recorded once (provider + event id), and what it says applied
// to its payment in the same transaction, under the payment's row lock.
import { attemptTransitions, WEBHOOK_CAPTURABLE_ATTEMPTS } from '../domain/attempt-status';
import type { Clock, GatewayEventInput, GatewayEventResult, WebhookStore } from '../app/ports';
import type { DuplicateCaptureRecord } from '../app/records';
import { settleCapture, type DuplicateReporter } from './duplicate-capture-store';
import { json, toPaymentRecord, UUID, type PaymentRow } from './payment-rows';
import { closeRequestedVoid, emit, lockPayment, movePayment } from './payment-tx';
import type { Db } from './prisma';

export class PrismaWebhookStore implements WebhookStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly reportDuplicate: DuplicateReporter,
  ) {}

  async applyGatewayEvent(input: GatewayEventInput): Promise<GatewayEventResult> {
    return this.db.$transaction(async (tx) => {
      // ON CONFLICT (provider, event_id) DO NOTHING: a redelivered event is recognised without a
      // failed statement aborting the transaction.
      const { count } = await tx.webhookEvent.createMany({
        data: { provider: input.provider, eventId: input.eventId, type: input.type, payload: json(input.payload) },
        skipDuplicates: true,
      });
      if (count === 0) return { duplicate: true } as const;

      const now = this.clock.now();
      let result = 'ignored:unhandled_type';
      let applied = false;
      let payment: PaymentRow | null = null;
      let duplicateCapture: DuplicateCaptureRecord | undefined;
      if (input.outcome) {
        payment = input.paymentId && UUID.test(input.paymentId) ? await lockPayment(tx, input.paymentId) : null;
        if (!payment) {
          result = 'ignored:unknown_payment';
        } else if (input.outcome.kind === 'succeeded') {
          const settled = await settleCapture(
            tx,
            payment,
            { transactionId: input.outcome.transactionId, reference: input.outcome.reference, source: `webhook:${input.provider}:${input.eventId}` },
            now,
            this.reportDuplicate,
          );
          if (settled.kind === 'completed') {
            payment = settled.payment;
            await tx.paymentAttempt.updateMany({
              where: { paymentId: payment.paymentId, attemptNumber: payment.attemptCount, status: { in: WEBHOOK_CAPTURABLE_ATTEMPTS } },
              data: { status: 'succeeded', completedAt: payment.completedAt ?? now },
            });
            applied = true;
            result = 'applied';
          } else if (settled.kind === 'duplicate') {
            duplicateCapture = settled.record ?? undefined;
            result = 'ignored:duplicate_capture';
          } else {
            result = `ignored:status_${payment.status}`;
          }
        } else {
          // Only an attempt still in flight can fail: a failure arriving after success (out of
          // order) or after a retry started must not undo anything.
          if (payment.status === 'processing') {
            payment = await movePayment(tx, payment, 'failed', { failureReason: input.outcome.code });
            await tx.paymentAttempt.updateMany({
              where: {
                paymentId: payment.paymentId,
                attemptNumber: payment.attemptCount,
                status: { in: attemptTransitions.sourcesOf('failed', ['processing']) },
              },
              data: { status: 'failed', failureCode: input.outcome.code, failureReason: input.outcome.message, completedAt: now },
            });
            await emit(tx, 'payment.failed', payment.orderReference, {
              payment_id: payment.paymentId,
              order_id: payment.orderReference,
              attempt_number: payment.attemptCount,
              reason: input.outcome.code,
            });
            payment = await closeRequestedVoid(tx, payment, now);
            applied = true;
            result = 'applied';
          } else {
            result = `ignored:status_${payment.status}`;
          }
        }
      }
      await tx.webhookEvent.update({
        where: { provider_eventId: { provider: input.provider, eventId: input.eventId } },
        data: { processed: true, processedAt: now, result },
      });
      return {
        duplicate: false,
        applied,
        result,
        payment: payment ? toPaymentRecord(payment) : null,
        ...(duplicateCapture ? { duplicateCapture } : {}),
      } as const;
    });
  }
}
