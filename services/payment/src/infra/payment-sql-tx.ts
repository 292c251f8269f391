// payment-tx.ts's counterpart for the charge path's raw transactions (payment-sql.ts says why they
// are raw): the payment is read under its row lock, changed in memory through the transition
// table, and written once, whole, by the statement that also writes its attempt and its events.
import { createEnvelope, Topics, type Envelope, type MessageType, type MessageTypes, type SqlRunner } from '@sudamall/shared';
import { paymentTransitions, type PaymentStatus } from '../domain/payment-status';
import type { PaymentRecord } from '../app/records';
import type { PaymentRowLike } from './payment-rows';
import { LOCK_AND_READ_PAYMENT } from './payment-sql';

/** The columns the charge path writes (refunded_amount is the refunds'): a row as read, or a PaymentRecord. */
type MutableColumns =
  | 'status'
  | 'attemptCount'
  | 'gatewayTransactionId'
  | 'gatewayReference'
  | 'failureReason'
  | 'metadata'
  | 'processingStartedAt'
  | 'completedAt'
  | 'cancelledAt';

/** What the charge path may change on a payment besides its status. */
export type PaymentRowChange = Partial<Pick<PaymentRowLike, Exclude<MutableColumns, 'status'>>>;

/** A payment the claim decides on: as read under the lock, or as the caller read it. */
export type ClaimablePayment = Pick<PaymentRowLike, 'paymentId' | MutableColumns> | Pick<PaymentRecord, 'paymentId' | MutableColumns>;

export async function lockAndReadPayment(tx: SqlRunner, paymentId: string): Promise<PaymentRowLike | null> {
  const [row] = await tx.query<PaymentRowLike>(LOCK_AND_READ_PAYMENT, [paymentId]);
  return row ?? null;
}

/** `p` moved to `to` through the transition table (which throws on a move it does not list), with the rest of the change. */
export function movedPayment<P extends ClaimablePayment>(p: P, to: PaymentStatus, change: PaymentRowChange = {}): P {
  return { ...p, ...change, status: paymentTransitions.transition(p.status, to) };
}

/** `p` changed without a status move. */
export function changedPayment(p: PaymentRowLike, change: PaymentRowChange): PaymentRowLike {
  return { ...p, ...change };
}

/** WRITE_PAYMENT's $1-$11: the row as decided, written at `at` (updated_at, as Prisma's @updatedAt). */
export function paymentWriteValues(p: ClaimablePayment, at: Date): unknown[] {
  return [
    p.paymentId,
    p.status,
    p.attemptCount,
    p.gatewayTransactionId,
    p.gatewayReference,
    p.failureReason,
    JSON.stringify(p.metadata ?? {}),
    p.processingStartedAt,
    p.completedAt,
    p.cancelledAt,
    at,
  ];
}

/** CLAIM_IF_UNCHANGED's $16-$24: the written columns as read (WRITE_PAYMENT's $2-$10 of the row as it was). */
export function paymentAsReadValues(p: ClaimablePayment): unknown[] {
  return paymentWriteValues(p, new Date(0)).slice(1, 10);
}

/** An event of the payment's, for the outbox in the same statement as the change it announces. */
export function paymentEvent<T extends MessageType>(type: T, orderId: string, data: MessageTypes[T]): Envelope {
  return createEnvelope(type, orderId, data);
}

/** ANSWER_WRITE_PAYMENT_AND_EMIT's $20-$21. */
export function outboxValues(events: readonly Envelope[]): unknown[] {
  return [JSON.stringify(events), Topics.paymentEvents];
}
