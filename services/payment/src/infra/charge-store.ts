// payment_attempts and the payment's status as its charges move it: the claim of an attempt, the
// gateway's answer (domain/charge-answer.ts decides what it means), a failed call. Each in one
// transaction under the payment's row lock, with the events the change announces.
import { notFound } from '@sudamall/shared';
import { attemptTransitions, type AttemptStatus } from '../domain/attempt-status';
import { chargeAnswer } from '../domain/charge-answer';
import { isAwaitingCollection } from '../domain/cash-collection';
import { paymentExists } from '../domain/errors';
import { chargeIdempotencyKey } from '../domain/idempotency';
import { isStaleAttempt, voidRequestOf } from '../domain/payment-status';
import type { ChargeResult, ChargeStore, ClaimArgs, Clock, ProcessingClaim } from '../app/ports';
import type { PaymentRecord } from '../app/records';
import type { Prisma } from '../generated/prisma/client';
import { settleCapture, type DuplicateReporter } from './duplicate-capture-store';
import { asObject, isUniqueViolation, json, toPaymentRecord, type PaymentRow, type Tx } from './payment-rows';
import { closeRequestedVoid, emit, lockPayment, movePayment, succeededEvent } from './payment-tx';
import type { PaymentStore } from '../app/ports';
import type { Db } from './prisma';

type AttemptChange = Omit<Prisma.PaymentAttemptUpdateManyMutationInput, 'status'>;

/**
 * The one way a store writes an attempt's status: a conditional UPDATE from the states the
 * transition table lets move to `to` (one statement, no read first). No row touched: the attempt
 * is missing, or its status may not move to `to`, and the table says which (it throws).
 */
export async function moveAttempt(tx: Tx, paymentId: string, attemptNumber: number, to: AttemptStatus, change: AttemptChange = {}): Promise<void> {
  const { count } = await tx.paymentAttempt.updateMany({
    where: { paymentId, attemptNumber, status: { in: attemptTransitions.sourcesOf(to) } },
    data: { ...change, status: to },
  });
  if (count > 0) return;
  const attempt = await tx.paymentAttempt.findUnique({ where: { paymentId_attemptNumber: { paymentId, attemptNumber } } });
  if (!attempt) throw new Error(`payment ${paymentId} has no attempt ${attemptNumber}`);
  attemptTransitions.transition(attempt.status, to);
}

export class PrismaChargeStore implements ChargeStore {
  constructor(
    private readonly db: Db,
    private readonly payments: Pick<PaymentStore, 'findPayment' | 'findLivePayment'>,
    private readonly clock: Clock,
    private readonly reportDuplicate: DuplicateReporter,
  ) {}

  async claimForProcessing(args: ClaimArgs): Promise<ProcessingClaim | null> {
    try {
      return await this.db.$transaction(async (tx) => {
        // The row lock makes concurrent claims queue; each then sees the winner's `processing`.
        const p = await lockPayment(tx, args.paymentId);
        if (!p) return null;
        const metadata = asObject(p.metadata);
        if (isAwaitingCollection(metadata)) return null;
        // The order asked for a void while a charge was in flight: no attempt starts or resumes.
        if (voidRequestOf(metadata)) return null;
        const now = args.now ?? this.clock.now();
        const resumed = isStaleAttempt(p, now, args.staleAfterSeconds);
        if (!resumed && !(p.status === 'pending' || p.status === 'failed')) return null;

        const attemptNumber = resumed ? p.attemptCount : p.attemptCount + 1;
        const idempotencyKey = chargeIdempotencyKey(p.paymentId, attemptNumber);
        const change = { attemptCount: attemptNumber, processingStartedAt: now, failureReason: null };
        // A stale attempt taken over stays `processing` (no move); a new one moves the payment there.
        const updated = resumed ? await tx.payment.update({ where: { paymentId: p.paymentId }, data: change }) : await movePayment(tx, p, 'processing', change);
        if (resumed) {
          await moveAttempt(tx, p.paymentId, attemptNumber, 'processing', args.cardLast4 ? { cardLast4: args.cardLast4 } : {});
        } else {
          await tx.paymentAttempt.create({
            data: {
              paymentId: p.paymentId,
              attemptNumber,
              idempotencyKey,
              cardLast4: args.cardLast4,
              status: 'processing',
              gatewayResponse: json(args.paymentMethodId ? { payment_method_id: args.paymentMethodId } : {}),
            },
          });
        }
        return { payment: toPaymentRecord(updated), attemptNumber, idempotencyKey, resumed };
      });
    } catch (e) {
      // failed → processing collides with another live payment created for the order meanwhile.
      if (isUniqueViolation(e)) {
        const p = await this.payments.findPayment(args.paymentId);
        throw paymentExists(p ? await this.payments.findLivePayment(p.orderReference) : null);
      }
      throw e;
    }
  }

  async findStaleProcessing(olderThan: Date, limit: number): Promise<Array<{ payment: PaymentRecord; paymentMethodId: string | null }>> {
    const rows = await this.db.payment.findMany({
      where: { status: 'processing', processingStartedAt: { lt: olderThan } },
      orderBy: { processingStartedAt: 'asc' },
      take: limit,
      include: { attempts: { orderBy: { attemptNumber: 'desc' }, take: 1 } },
    });
    return rows.map((r) => {
      const stored = asObject(r.attempts[0]?.gatewayResponse).payment_method_id;
      return { payment: toPaymentRecord(r), paymentMethodId: typeof stored === 'string' ? stored : null };
    });
  }

  async recordChargeOutcome(paymentId: string, attemptNumber: number, result: ChargeResult): Promise<PaymentRecord> {
    return this.db.$transaction(async (tx) => {
      const p = await lockPayment(tx, paymentId);
      if (!p) throw notFound('PAYMENT_NOT_FOUND', 'payment not found');
      const now = this.clock.now();
      const plan = chargeAnswer(
        { status: p.status, attemptCount: p.attemptCount, gatewayReference: p.gatewayReference, metadata: asObject(p.metadata) },
        attemptNumber,
        result,
      );

      const attempt = {
        ...(plan.attempt.failureCode !== undefined ? { failureCode: plan.attempt.failureCode } : {}),
        ...(plan.attempt.failureReason !== undefined ? { failureReason: plan.attempt.failureReason } : {}),
        ...(plan.attempt.completed ? { completedAt: now } : {}),
      };
      if (plan.attempt.status) {
        await moveAttempt(tx, paymentId, attemptNumber, plan.attempt.status, { ...attempt, gatewayResponse: json(result.raw) });
      } else {
        const where = { paymentId_attemptNumber: { paymentId, attemptNumber } };
        const open = await tx.paymentAttempt.findUnique({ where });
        await tx.paymentAttempt.update({ where, data: { ...attempt, gatewayResponse: json({ ...asObject(open?.gatewayResponse), ...result.raw }) } });
      }

      let updated: PaymentRow = p;
      if (plan.capture) {
        // A webhook may have completed it first (same transaction: the event is already out),
        // or another capture did (a duplicate: recorded for its automatic refund).
        const settled = await settleCapture(tx, p, { ...plan.capture, source: 'charge' }, now, this.reportDuplicate);
        if (settled.kind === 'completed') updated = settled.payment;
      }
      if (plan.payment) {
        const { status, gatewayReference, failureReason, metadata } = plan.payment;
        const change = {
          ...(gatewayReference !== undefined ? { gatewayReference } : {}),
          ...(failureReason !== undefined ? { failureReason } : {}),
          ...(metadata !== undefined ? { metadata: json(metadata) } : {}),
        };
        updated = status ? await movePayment(tx, p, status, change) : await tx.payment.update({ where: { paymentId }, data: change });
      }
      if (plan.announce === 'payment.failed') {
        await emit(tx, 'payment.failed', p.orderReference, {
          payment_id: paymentId,
          order_id: p.orderReference,
          attempt_number: attemptNumber,
          reason: failureCodeOf(result),
        });
      } else if (plan.announce === 'payment.succeeded') {
        await emit(tx, 'payment.succeeded', p.orderReference, succeededEvent(updated));
      }
      if (plan.closeRequestedVoid) updated = await closeRequestedVoid(tx, updated, now);
      return toPaymentRecord(updated);
    });
  }

  async recordAttemptError(paymentId: string, attemptNumber: number, error: { code: string; message: string }, keepProcessing: boolean): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const p = await lockPayment(tx, paymentId);
      if (!p) return;
      const now = this.clock.now();
      if (keepProcessing) {
        // Kept open for a replay: what it needs (payment_method_id) stays next to the error.
        const key = { paymentId_attemptNumber: { paymentId, attemptNumber } };
        const open = await tx.paymentAttempt.findUnique({ where: key });
        await tx.paymentAttempt.update({
          where: key,
          data: {
            gatewayResponse: json({ ...asObject(open?.gatewayResponse), error: error.code, message: error.message }),
            failureCode: error.code,
            failureReason: error.message,
          },
        });
        return;
      }
      await moveAttempt(tx, paymentId, attemptNumber, 'error', { failureCode: error.code, failureReason: error.message, completedAt: now });
      if (p.status === 'processing') {
        const failed = await movePayment(tx, p, 'failed', { failureReason: error.code });
        await closeRequestedVoid(tx, failed, now);
      }
    });
  }
}

const failureCodeOf = (result: ChargeResult) => (result.status === 'declined' ? result.code : '');
