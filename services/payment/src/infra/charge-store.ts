// payment_attempts and the payment's status as its charges move it: the claim of an attempt, the
// gateway's answer (domain/charge-answer.ts decides what it means), a failed call. Each decided on
// the payment as it is under its row lock, with the events the change announces. The claim and
// the answer are every checkout's, so they run as raw SQL (payment-sql.ts: 13 → 5 statements, no
// Prisma); a failed call (rare) stays on Prisma.
import { randomUUID } from 'node:crypto';
import { notFound, type Envelope, type Sql, type SqlRunner } from '@sudamall/shared';
import { attemptTransitions, type AttemptStatus } from '../domain/attempt-status';
import { captureMayCompete, captureVerdict } from '../domain/captures';
import { chargeAnswer } from '../domain/charge-answer';
import { isAwaitingCollection } from '../domain/cash-collection';
import { paymentExists } from '../domain/errors';
import { chargeIdempotencyKey } from '../domain/idempotency';
import { isStaleAttempt, paymentTransitions, VOIDABLE_STATUSES, voidedStatusFor, voidRequestOf } from '../domain/payment-status';
import type { ChargeResult, ChargeStore, ClaimArgs, Clock, ProcessingClaim } from '../app/ports';
import type { PaymentRecord } from '../app/records';
import type { Prisma } from '../generated/prisma/client';
import type { DuplicateReporter } from './duplicate-capture-store';
import { asObject, isUniqueViolation, json, toPaymentRecord, type PaymentRowLike, type Tx } from './payment-rows';
import {
  ANSWER_AND_WRITE_PAYMENT,
  ANSWER_ATTEMPT,
  ANSWER_WRITE_PAYMENT_AND_EMIT,
  ATTEMPT_MOVE_REFUSED,
  CLAIM_IF_UNCHANGED,
  INSERT_DUPLICATE_CAPTURE,
  RESUME_ATTEMPT,
  SELECT_OTHER_LIVE_PAYMENT,
  SELECT_STALE_PROCESSING,
  WRITE_PAYMENT,
  WRITE_PAYMENT_AND_NEW_ATTEMPT,
} from './payment-sql';
import {
  changedPayment,
  lockAndReadPayment,
  movedPayment,
  outboxValues,
  paymentAsReadValues,
  paymentEvent,
  paymentWriteValues,
  type ClaimablePayment,
  type PaymentRowChange,
} from './payment-sql-tx';
import { closeRequestedVoid, lockPayment, movePayment, succeededEvent } from './payment-tx';
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

/**
 * An answer (or a resume) touched no attempt: the attempt is missing, or the table says why it may
 * not move. The statement refused it itself and rolled the transaction back (payment-sql.ts,
 * ATTEMPT_MOVE_REFUSED, with the attempt's status as it read it): `e` as that refusal's error,
 * the transition table's 409 INVALID_STATUS_TRANSITION or the missing attempt; any other error as it is.
 */
function refusedAttemptMove(e: unknown, paymentId: string, attemptNumber: number, to: AttemptStatus | null): unknown {
  const err = e as { code?: string; message?: string };
  if (err.code !== 'P0001' || !err.message?.startsWith(ATTEMPT_MOVE_REFUSED)) return e;
  const status = err.message.slice(ATTEMPT_MOVE_REFUSED.length) as AttemptStatus | '';
  if (status && to) attemptTransitions.transition(status, to);
  return new Error(`payment ${paymentId} has no attempt ${attemptNumber}`);
}

/** Another payment of the same order that is live (so this one cannot become completed). */
async function otherLivePayment(tx: SqlRunner, p: PaymentRowLike): Promise<{ paymentId: string } | null> {
  const [live] = await tx.query<{ paymentId: string }>(SELECT_OTHER_LIVE_PAYMENT, [p.orderReference, p.paymentId]);
  return live ?? null;
}

/**
 * Records a second capture (once per gateway transaction) for its automatic refund, as
 * duplicate-capture-store's flagDuplicateCapture does for the webhooks: null when it was recorded
 * before. `change`: what a payment kept out of `completed` by another live payment says on itself.
 */
async function flagDuplicateCapture(
  tx: SqlRunner,
  p: PaymentRowLike,
  capture: { transactionId: string; source: string },
  live: { paymentId: string } | null,
  now: Date,
): Promise<{ change: PaymentRowChange; report: Record<string, unknown> } | null> {
  const id = randomUUID();
  // Every charge of a payment asks its total_amount, so that is what the second capture took.
  const inserted = await tx.execute(INSERT_DUPLICATE_CAPTURE, [
    id,
    p.paymentId,
    p.orderReference,
    p.gatewayName,
    capture.transactionId,
    p.totalAmount.toString(),
    p.currency,
    capture.source,
    live?.paymentId ?? null,
    now,
  ]);
  if (inserted === 0) return null;
  const note = { id, transaction_id: capture.transactionId, live_payment_id: live?.paymentId ?? null, at: now.toISOString() };
  return {
    change: { metadata: { ...asObject(p.metadata), duplicate_capture: note }, failureReason: 'duplicate_capture' },
    report: {
      duplicate_capture_id: id,
      payment_id: p.paymentId,
      order_id: p.orderReference,
      transaction_id: capture.transactionId,
      live_payment_id: live?.paymentId ?? null,
    },
  };
}

export class PrismaChargeStore implements ChargeStore {
  constructor(
    private readonly db: Db,
    /** The claim's and the answer's transactions (node-postgres, infra/sql.ts). */
    private readonly sql: Sql,
    private readonly payments: Pick<PaymentStore, 'findPayment' | 'findLivePayment'>,
    private readonly clock: Clock,
    private readonly reportDuplicate: DuplicateReporter,
  ) {}

  async claimForProcessing(args: ClaimArgs): Promise<ProcessingClaim | null> {
    try {
      // The usual claim (a payment read just before, still as read): one statement.
      const quick = args.seen ? await this.claimIfUnchanged(args, args.seen) : null;
      if (quick) return quick;
      return await this.sql.transaction(async (tx) => {
        // The row lock makes concurrent claims queue; each then sees the winner's `processing`.
        const p = await lockAndReadPayment(tx, args.paymentId);
        if (!p) return null;
        const claim = this.decideClaim(p, args);
        if (!claim) return null;
        const at = this.clock.now();
        // A stale attempt taken over stays `processing` (no move), and so does its attempt.
        const [updated] = claim.resumed
          ? await tx.query<PaymentRowLike>(WRITE_PAYMENT, paymentWriteValues(changedPayment(p, claim.change), at))
          : await tx.query<PaymentRowLike>(WRITE_PAYMENT_AND_NEW_ATTEMPT, [
              ...paymentWriteValues(movedPayment(p, 'processing', claim.change), at),
              ...this.newAttemptValues(claim, args),
            ]);
        if (!updated) throw new Error(`payment ${p.paymentId} vanished under its row lock`);
        if (claim.resumed) {
          // Sent with the COMMIT (one round trip): an attempt that may not resume fails the statement itself.
          const resume = [p.paymentId, claim.attemptNumber, 'processing', args.cardLast4 || null, attemptTransitions.sourcesOf('processing')];
          await tx.queryAndCommit(RESUME_ATTEMPT, resume).catch((e: unknown) => {
            throw refusedAttemptMove(e, p.paymentId, claim.attemptNumber, 'processing');
          });
        }
        return { payment: toPaymentRecord(updated), attemptNumber: claim.attemptNumber, idempotencyKey: claim.idempotencyKey, resumed: claim.resumed };
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

  /** Whether payment `p` (as read) may be claimed, and how: null when it may not. */
  private decideClaim(p: ClaimablePayment, args: ClaimArgs) {
    // A record's metadata is an object already; a row's is whatever JSON was stored.
    const metadata = asObject(p.metadata as PaymentRowLike['metadata']);
    if (isAwaitingCollection(metadata)) return null;
    // The order asked for a void while a charge was in flight: no attempt starts or resumes.
    if (voidRequestOf(metadata)) return null;
    const now = args.now ?? this.clock.now();
    const resumed = isStaleAttempt(p, now, args.staleAfterSeconds);
    if (!resumed && !(p.status === 'pending' || p.status === 'failed')) return null;
    const attemptNumber = resumed ? p.attemptCount : p.attemptCount + 1;
    return {
      resumed,
      attemptNumber,
      idempotencyKey: chargeIdempotencyKey(p.paymentId, attemptNumber),
      change: { attemptCount: attemptNumber, processingStartedAt: now, failureReason: null },
    };
  }

  private newAttemptValues(claim: { attemptNumber: number; idempotencyKey: string }, args: ClaimArgs): unknown[] {
    const response = args.paymentMethodId ? { payment_method_id: args.paymentMethodId } : {};
    return [randomUUID(), claim.idempotencyKey, args.cardLast4, JSON.stringify(response)];
  }

  /**
   * A new attempt claimed on the payment as the caller read it, in one statement that holds only
   * while the row is still exactly so (CLAIM_IF_UNCHANGED). null: anything else (a stale attempt to
   * take over, a refusal, a row that changed), which the locked path decides.
   */
  private async claimIfUnchanged(args: ClaimArgs, seen: PaymentRecord): Promise<ProcessingClaim | null> {
    if (seen.paymentId !== args.paymentId) return null;
    const claim = this.decideClaim(seen, args);
    if (!claim || claim.resumed) return null;
    const [updated] = await this.sql.query<PaymentRowLike>(CLAIM_IF_UNCHANGED, [
      ...paymentWriteValues(movedPayment(seen, 'processing', claim.change), this.clock.now()),
      ...this.newAttemptValues(claim, args),
      ...paymentAsReadValues(seen),
    ]);
    if (!updated) return null;
    return { payment: toPaymentRecord(updated), attemptNumber: claim.attemptNumber, idempotencyKey: claim.idempotencyKey, resumed: false };
  }

  async findStaleProcessing(olderThan: Date, limit: number): Promise<Array<{ payment: PaymentRecord; paymentMethodId: string | null }>> {
    const rows = await this.sql.query<PaymentRowLike & { lastGatewayResponse: Prisma.JsonValue | null }>(SELECT_STALE_PROCESSING, [olderThan, limit]);
    return rows.map((r) => {
      const stored = asObject(r.lastGatewayResponse).payment_method_id;
      return { payment: toPaymentRecord(r), paymentMethodId: typeof stored === 'string' ? stored : null };
    });
  }

  async recordChargeOutcome(paymentId: string, attemptNumber: number, result: ChargeResult): Promise<PaymentRecord> {
    const reports: Array<Record<string, unknown>> = [];
    const record = await this.sql.transaction(async (tx) => {
      const p = await lockAndReadPayment(tx, paymentId);
      if (!p) throw notFound('PAYMENT_NOT_FOUND', 'payment not found');
      const now = this.clock.now();
      const plan = chargeAnswer(
        { status: p.status, attemptCount: p.attemptCount, gatewayReference: p.gatewayReference, metadata: asObject(p.metadata) },
        attemptNumber,
        result,
      );

      // The plan applied in memory, in the order the moves happen: `row` is the payment as this
      // transaction leaves it (written once, below), `updated` what the caller is answered with.
      let row = p;
      let updated = p;
      const events: Envelope[] = [];
      if (plan.capture) {
        // A webhook may have completed it first (same transaction: the event is already out),
        // or another capture did (a duplicate: recorded for its automatic refund).
        const live = captureMayCompete(p) ? await otherLivePayment(tx, p) : null;
        switch (captureVerdict(p, plan.capture.transactionId, live !== null)) {
          case 'complete':
            row = updated = movedPayment(p, 'completed', {
              gatewayTransactionId: plan.capture.transactionId,
              gatewayReference: plan.capture.reference ?? p.gatewayReference,
              completedAt: now,
              failureReason: null,
            });
            events.push(paymentEvent('payment.succeeded', p.orderReference, succeededEvent(toPaymentRecord(row))));
            break;
          case 'duplicate': {
            const flagged = await flagDuplicateCapture(tx, p, { ...plan.capture, source: 'charge' }, live, now);
            if (flagged && live) row = changedPayment(row, flagged.change);
            if (flagged) reports.push(flagged.report);
            break;
          }
          case 'replayed':
          case 'ignored':
            break;
        }
      }
      if (plan.payment) {
        const { status, gatewayReference, failureReason, metadata } = plan.payment;
        const change = {
          ...(gatewayReference !== undefined ? { gatewayReference } : {}),
          ...(failureReason !== undefined ? { failureReason } : {}),
          ...(metadata !== undefined ? { metadata: metadata as PaymentRowLike['metadata'] } : {}),
        };
        row = updated = status ? movedPayment(row, status, change) : changedPayment(row, change);
      }
      if (plan.announce === 'payment.failed') {
        events.push(
          paymentEvent('payment.failed', p.orderReference, {
            payment_id: paymentId,
            order_id: p.orderReference,
            attempt_number: attemptNumber,
            reason: failureCodeOf(result),
          }),
        );
      } else if (plan.announce === 'payment.succeeded') {
        events.push(paymentEvent('payment.succeeded', p.orderReference, succeededEvent(toPaymentRecord(updated))));
      }
      if (plan.closeRequestedVoid) {
        // The order asked for a void during the charge, which ended without a capture: the
        // payment closes as the void would have (payment.voided answers that void).
        const request = voidRequestOf(asObject(updated.metadata));
        const to = request ? voidedStatusFor(request.reason) : null;
        if (request && to && VOIDABLE_STATUSES.includes(updated.status) && paymentTransitions.can(updated.status, to)) {
          row = updated = movedPayment(updated, to, { cancelledAt: now, failureReason: request.reason });
          events.push(paymentEvent('payment.voided', p.orderReference, { payment_id: paymentId, order_id: p.orderReference, reason: request.reason }));
        }
      }

      // One statement: the attempt's answer, the payment's row if it changed, its events.
      const to = plan.attempt.status ?? null;
      const answer = [
        attemptNumber,
        to,
        to ? attemptTransitions.sourcesOf(to) : [],
        plan.attempt.failureCode ?? null,
        plan.attempt.failureReason ?? null,
        plan.attempt.completed ? now : null,
        JSON.stringify(result.raw),
        plan.attempt.response === 'merge',
      ];
      // Sent with the COMMIT (one round trip): the statement refuses by itself what must not
      // commit (an attempt the table may not move, a vanished payment) and nothing is committed.
      const answerAndCommit = <R>(text: string, values: unknown[]) =>
        tx.queryAndCommit<R>(text, values).catch((e: unknown) => {
          throw refusedAttemptMove(e, paymentId, attemptNumber, to);
        });
      let written: PaymentRowLike | undefined;
      if (row === p) {
        await answerAndCommit(ANSWER_ATTEMPT, [paymentId, ...answer]);
      } else {
        const values = [...paymentWriteValues(row, now), ...answer];
        [written] = events.length
          ? await answerAndCommit<PaymentRowLike>(ANSWER_WRITE_PAYMENT_AND_EMIT, [...values, ...outboxValues(events)])
          : await answerAndCommit<PaymentRowLike>(ANSWER_AND_WRITE_PAYMENT, values);
      }
      // What the payment became (as written), or the payment as read when the change kept from
      // the answer is a duplicate's note only.
      return toPaymentRecord(written && updated === row ? written : updated);
    });
    for (const fields of reports) this.reportDuplicate(fields);
    return record;
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
