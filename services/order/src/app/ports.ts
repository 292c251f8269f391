import type { Envelope, TopicName } from '@sudamall/shared';
import type { OrderStatus } from '../domain/order-status';
import type { OrderChange, SagaSnapshot, StepLogEntry } from '../saga/saga-types';

/** Who caused a change, as the status history records it. */
export interface ActorRef {
  /** user id, or "system" for the saga and its timers */
  id: string;
  role: 'system' | 'buyer' | 'seller' | 'admin';
}

export const SYSTEM: ActorRef = { id: 'system', role: 'system' };

/** The order fields the saga and the authorisation checks need. */
export interface OrderHead {
  id: string;
  userId: string;
  status: OrderStatus;
  storeIds: string[];
  paymentExpiresAt: Date | null;
}

/** Everything one saga decision writes, applied as one unit (see CheckoutTx.applyDecision). */
export interface DecisionWrite {
  orderId: string;
  saga: SagaSnapshot;
  log: StepLogEntry[];
  /** Commands and events, in order; the relay publishes them after commit. */
  outbox: Array<{ topic: TopicName; envelope: Envelope }>;
  /** The status change, when the decision moves the order (checked against `from`). */
  status?: { from: OrderStatus; change: OrderChange; by: ActorRef; notes?: string };
}

/** Everything the saga does inside one database transaction. */
export interface CheckoutTx {
  /** false when this consumer already processed the event (a redelivery). */
  claimInbox(consumer: string, eventId: string): Promise<boolean>;
  /** Locks the order and its saga until the transaction ends; null when unknown. */
  lockSaga(orderId: string): Promise<{ order: OrderHead; saga: SagaSnapshot } | null>;
  changeOrderStatus(orderId: string, from: OrderStatus, change: OrderChange, by: ActorRef, notes?: string): Promise<void>;
  saveSaga(orderId: string, saga: SagaSnapshot): Promise<void>;
  appendStepLog(orderId: string, entries: StepLogEntry[]): Promise<void>;
  /** Writes to the outbox; the relay publishes after commit. */
  enqueue(topic: TopicName, envelope: Envelope): Promise<void>;
  /**
   * A whole saga decision at once: saga row, step log, outbox rows and the status change with
   * its history. The same as the calls above in sequence, but the saga's hot path (every reply
   * of every checkout) pays one database round trip for it instead of five or more.
   */
  applyDecision(write: DecisionWrite): Promise<void>;
}

export interface UnitOfWork {
  run<T>(fn: (tx: CheckoutTx) => Promise<T>): Promise<T>;
}

export interface Clock {
  now(): Date;
}
