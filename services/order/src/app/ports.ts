import type { Envelope, TopicName } from '@sudamall/shared';
import type { Address, AddressFields, AddressSnapshot, ProfileFields } from '../domain/address';
import type { FulfillmentState, FulfillmentStatus } from '../domain/fulfillment';
import type { OrderStatus } from '../domain/order-status';
import type { AdjustmentSnapshot } from '../saga/adjustment.saga';
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

/** One store's fulfilment moved by hand (checked against `from`). */
export interface FulfillmentMove {
  storeId: string;
  from: FulfillmentStatus;
  to: FulfillmentStatus;
  /** Kept when given (a carrier's number, usually with `shipped`). */
  trackingNumber?: string;
  /** Why, for a cancellation. */
  reason?: string;
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
  /**
   * claimInbox then lockSaga, in one round trip (a saga reply's first step): 'duplicate' when the
   * event was processed already (nothing locked), null when the order is unknown (claimed).
   */
  claimAndLockSaga(consumer: string, eventId: string, orderId: string): Promise<'duplicate' | LockedSaga | null>;
  changeOrderStatus(orderId: string, from: OrderStatus, change: OrderChange, by: ActorRef, notes?: string): Promise<void>;
  /** The order's fulfilments, by store id (call after lockSaga: the order's lock guards them). */
  fulfillmentsOf(orderId: string): Promise<FulfillmentState[]>;
  /** Moves fulfilments, stamping shipped_at / delivered_at, with a history row each. */
  moveFulfillments(orderId: string, moves: FulfillmentMove[], by: ActorRef, notes?: string): Promise<void>;
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

/** What a saga reply does in its transaction: claim and lock, then (at most) one decision, which ends it. */
export type ReplyTx = Pick<CheckoutTx, 'claimAndLockSaga' | 'applyDecision'>;

/** An order and its saga, locked (what claimAndLockSaga answers for a claimed reply of a known order). */
export type LockedSaga = { order: OrderHead; saga: SagaSnapshot };

/**
 * What several replies do in ONE transaction (a batch the bus fetched from one partition, each
 * order at most once in it): claim and lock them all, then their decisions, which end it.
 */
export interface RepliesTx {
  /** claimAndLockSaga for each reply, in one statement; the answers in the replies' order. */
  claimAndLockSagas(consumer: string, replies: ReadonlyArray<{ eventId: string; orderId: string }>): Promise<Array<'duplicate' | LockedSaga | null>>;
  /** applyDecision for each, in order; the last commits with it. */
  applyDecisions(writes: readonly DecisionWrite[]): Promise<void>;
}

export interface UnitOfWork {
  run<T>(fn: (tx: CheckoutTx) => Promise<T>): Promise<T>;
  /** A saga reply's transaction: applyDecision is its last statement (it commits with it). */
  runReply<T>(fn: (tx: ReplyTx) => Promise<T>): Promise<T>;
  /** Several saga replies' transaction (RepliesTx). */
  runReplies<T>(fn: (tx: RepliesTx) => Promise<T>): Promise<T>;
}

/** RepliesTx over one reply's port, one reply after another (a unit of work with no batch statement). */
export function repliesOneByOne(tx: ReplyTx): RepliesTx {
  return {
    async claimAndLockSagas(consumer, replies) {
      const locked: Array<'duplicate' | LockedSaga | null> = [];
      for (const r of replies) locked.push(await tx.claimAndLockSaga(consumer, r.eventId, r.orderId));
      return locked;
    },
    async applyDecisions(writes) {
      for (const w of writes) await tx.applyDecision(w);
    },
  };
}

/** One line of an order as adjustments need it (what it cost, whose it is). */
export interface OrderLine {
  lineId: string;
  storeId: string;
  quantity: number;
  /** Unit price charged. */
  price: string;
}

export interface FulfillmentPart {
  storeId: string;
  subtotal: string;
  deliveredAt: Date | null;
  /** Cash on delivery: what the store collected, once it has. */
  collectedAmount: string | null;
}

/** The checkout port, plus what cancellations after payment, returns and cash collection keep. */
export interface AdjustmentTx extends CheckoutTx {
  /** The order an adjustment belongs to (an operator has only its id); null when there is none. */
  orderOfAdjustment(adjustmentId: string): Promise<string | null>;
  /** The order's adjustments, oldest first (call after lockSaga: the order's lock guards them). */
  adjustmentsOf(orderId: string): Promise<AdjustmentSnapshot[]>;
  insertAdjustment(a: AdjustmentSnapshot): Promise<void>;
  /** Saves its state; `completed` stamps completed_at, `decidedBy` records a return's answer. */
  saveAdjustment(a: AdjustmentSnapshot, opts?: { completed?: boolean; decidedBy?: ActorRef; decisionReason?: string }): Promise<void>;
  /** The order's lines with their store, quantity and price. */
  linesOf(orderId: string): Promise<OrderLine[]>;
  /** Fulfilments with what adjustments and cash collection need of them. */
  fulfillmentPartsOf(orderId: string): Promise<FulfillmentPart[]>;
  /** Cash on delivery: the store took `amount` in cash for its part. */
  markCollected(orderId: string, storeId: string, amount: string): Promise<void>;
}

export interface AdjustmentUnitOfWork {
  runAdjustment<T>(fn: (tx: AdjustmentTx) => Promise<T>): Promise<T>;
  /** Claims one adjustment whose command is due for a re-send (skipping locked orders), in its own transaction. */
  runDueAdjustment<T>(now: Date, fn: (tx: AdjustmentTx, due: { orderId: string; adjustmentId: string }) => Promise<T>): Promise<T | null>;
}

export interface Clock {
  now(): Date;
}

/**
 * The user's profile and addresses, each address call one transaction serialised per user (so two
 * first addresses created at once cannot both become the default: the partial unique index would refuse one).
 */
export interface AccountStore {
  getProfile(userId: string): Promise<ProfileFields | null>;
  saveProfile(userId: string, profile: ProfileFields): Promise<void>;
  listAddresses(userId: string): Promise<Address[]>;
  findAddress(userId: string, addressId: string): Promise<Address | null>;
  /** Runs `work` in a transaction holding the user's address lock; `tx` sees and changes only that user's rows. */
  withUserAddresses<T>(userId: string, work: (tx: UserAddressTx) => Promise<T>): Promise<T>;
}

export interface UserAddressTx {
  list(): Promise<Address[]>;
  insert(address: AddressFields & { address_id: string; is_default: boolean }): Promise<void>;
  update(addressId: string, fields: AddressFields): Promise<void>;
  /** Makes this address the only default (clears the old default first). */
  makeDefault(addressId: string): Promise<void>;
  remove(addressId: string): Promise<void>;
}

/** Where place-order resolves an address_id: the user's own address, or none. */
export interface AddressLookup {
  execute(userId: string, addressId: string): Promise<{ text: string; snapshot: AddressSnapshot }>;
}
