// What the use cases need from the outside world. Gateways and the order service sit behind
// these interfaces so a new gateway is one new adapter, and unit tests use fakes.

import type {
  DuplicateCaptureRecord,
  DuplicateCaptureStatus,
  GatewayRecord,
  InboxClaim,
  Page,
  PaymentDetail,
  PaymentRecord,
  RefundRecord,
  RefundStatus,
} from './records';
import type { SortOf } from '@sudamall/shared';
import type { PaymentStatus } from '../domain/payment-status';
import type { KeyedRefundRequest } from '../domain/keyed-refunds';
import type { ChargeResult, GatewayRaw } from '../domain/charge-answer';

/** A card or a gateway-side payment method, as the payer gave it to `process`. */
export interface PaymentInput {
  cardNumber?: string;
  expMonth?: number;
  expYear?: number;
  cvc?: string;
  /** Stripe PaymentMethod id (pm_...), or the PayPal order id the payer approved. */
  paymentMethodId?: string;
}

export interface ChargeRequest {
  paymentId: string;
  orderId: string;
  attemptNumber: number;
  /** Same payment + attempt → same key: a retried call can never charge twice at the gateway. */
  idempotencyKey: string;
  /** What is charged: amount + gateway fee, decimal string. */
  amount: string;
  currency: string;
  input: PaymentInput;
  /** Gateway reference from an earlier attempt (e.g. the PayPal order awaiting approval). */
  previousReference: string | null;
}

// What a gateway answers to a charge, and what that means, is the domain's (domain/charge-answer.ts).
export type { ChargeResult, GatewayRaw } from '../domain/charge-answer';

export interface RefundRequest {
  paymentId: string;
  refundId: string;
  idempotencyKey: string;
  transactionId: string | null;
  reference: string | null;
  amount: string;
  currency: string;
  reason: string;
}

export interface RefundResult {
  gatewayRefundId: string;
  raw: GatewayRaw;
}

/** Which refund to look for at the gateway: ours is tagged with `refundId` (metadata, custom id). */
export type RefundLookupRequest = Omit<RefundRequest, 'reason'>;

export type RefundLookupResult =
  | { status: 'succeeded'; gatewayRefundId: string; raw: GatewayRaw }
  /** The gateway holds the refund and says it failed (or was cancelled): nothing went back. */
  | { status: 'failed'; gatewayRefundId: string; code: string; raw: GatewayRaw }
  /** The gateway holds it but has not settled it yet: ask again later. */
  | { status: 'pending'; gatewayRefundId: string; raw: GatewayRaw }
  /** The gateway has no such refund: sending it (same idempotency key) cannot refund twice. */
  | { status: 'not_found'; raw: GatewayRaw };

/** What the gateway knows of one attempt, asked before a stale attempt's fate is decided. */
export interface LookupRequest {
  paymentId: string;
  orderId: string;
  attemptNumber: number;
  idempotencyKey: string;
  /** The gateway-side id recorded for the payment (Stripe PaymentIntent, PayPal order), if any. */
  reference: string | null;
  amount: string;
  currency: string;
}

export type LookupResult =
  | { status: 'succeeded'; transactionId: string; reference?: string; raw: GatewayRaw }
  | { status: 'declined'; code: string; message: string; reference?: string; raw: GatewayRaw }
  | { status: 'requires_action'; reference: string; actionUrl?: string; raw: GatewayRaw }
  /** Still in flight, or the gateway cannot say (yet): leave the attempt open and ask again later. */
  | { status: 'processing'; reference?: string; raw: GatewayRaw }
  /** The gateway never saw the attempt: nothing was charged, so replaying it is safe. */
  | { status: 'not_found'; raw: GatewayRaw };

export interface VoidRequest {
  paymentId: string;
  transactionId: string | null;
  reference: string | null;
}

/**
 * One payment gateway. Errors: `DomainError` invalid (the request can never work, e.g. an
 * unknown test card), unavailable (`GATEWAY_UNAVAILABLE`: network or gateway fault, the
 * outcome may be unknown and the same idempotency key must be reused).
 */
export interface PaymentGateway {
  readonly name: string;
  /** Throws DomainError(invalid) before anything is recorded when the input cannot work. */
  validateInput(input: PaymentInput): void;
  charge(req: ChargeRequest): Promise<ChargeResult>;
  refund(req: RefundRequest): Promise<RefundResult>;
  /**
   * What became of a refund we may have sent (an earlier call timed out), from the gateway's own
   * records. Throws unavailable when the gateway cannot be asked; the refund then stays pending.
   */
  lookupRefund(req: RefundLookupRequest): Promise<RefundLookupResult>;
  /** Releases anything authorized but not captured; a no-op where there is nothing to release. */
  void(req: VoidRequest): Promise<void>;
  /**
   * What became of an attempt, from the gateway's own state (never a guess). Throws
   * unavailable when the gateway cannot be asked; the caller then asks again later.
   */
  lookup(req: LookupRequest): Promise<LookupResult>;
}

export class GatewayRegistry {
  private readonly byName = new Map<string, PaymentGateway>();
  constructor(gateways: Iterable<PaymentGateway>) {
    for (const g of gateways) this.byName.set(g.name, g);
  }
  get(name: string): PaymentGateway | undefined {
    return this.byName.get(name);
  }
  names(): string[] {
    return [...this.byName.keys()];
  }
}

export interface OrderForPayment {
  orderId: string;
  userId: string;
  status: string;
  totalAmount: string;
  paymentExpiresAt: Date | null;
  payable: boolean;
  /** Why not payable ("" when payable): ORDER_NOT_AWAITING_PAYMENT, PAYMENT_WINDOW_EXPIRED, ORDER_CANCELLED. */
  reason: string;
  /** The stores selling in the order: their sellers may collect its cash on delivery. */
  storeIds: string[];
}

/** The order service, as payment sees it. Throws DomainError not_found ORDER_NOT_FOUND. */
export interface OrdersPort {
  getOrderForPayment(orderId: string): Promise<OrderForPayment>;
}

/** Sends pending refunds outside the caller (a Kafka handler must not wait for a gateway). */
export interface RefundQueue {
  /** Called once the refund's reservation is committed. Never throws, never waits for the gateway. */
  wake(refundId: string): void;
  /** Runs best-effort gateway work (a void) in the background, awaited on shutdown. */
  detach(label: string, work: () => Promise<void>): void;
}

// The monorepo's one clock: the use cases and the stores share the container's.
export { systemClock, type Clock } from '@sudamall/shared';

// ---- persistence ----

export interface NewPayment {
  paymentId: string;
  orderReference: string;
  userId: string;
  gateway: string;
  paymentMethod: string;
  currency: string;
  amount: string;
  gatewayFee: string;
  totalAmount: string;
  expiresAt: Date | null;
  metadata: Record<string, unknown>;
}

export interface ClaimArgs {
  paymentId: string;
  staleAfterSeconds: number;
  cardLast4: string | null;
  /** Not secret (a gateway-side id): kept on the attempt so a crashed attempt can be replayed. */
  paymentMethodId?: string | null;
  /** What "stale" is measured against (domain isStaleAttempt). Default: the store's clock, the container's one clock. */
  now?: Date;
  /**
   * The payment as the caller read it (without a lock). While the row is still exactly that, a
   * new attempt is claimed in one statement that checks so; otherwise the claim reads it under
   * the row lock and decides on what it finds.
   */
  seen?: PaymentRecord;
}

export interface ProcessingClaim {
  payment: PaymentRecord;
  attemptNumber: number;
  idempotencyKey: string;
  /** True when a stale `processing` attempt is taken over with its own idempotency key. */
  resumed: boolean;
}

export interface GatewayEventInput {
  provider: string;
  eventId: string;
  type: string;
  payload: Record<string, unknown>;
  paymentId: string | null;
  /** What the event says happened to the payment; null: recorded and ignored. */
  outcome: { kind: 'succeeded'; transactionId: string; reference?: string } | { kind: 'failed'; code: string; message: string } | null;
}

export type GatewayEventResult =
  | { duplicate: true }
  | {
      duplicate: false;
      applied: boolean;
      result: string;
      payment: PaymentRecord | null;
      /** Set when the event was a second capture, recorded now (refund it). */
      duplicateCapture?: DuplicateCaptureRecord;
    };

export interface RefundReservation {
  refund: RefundRecord;
  payment: PaymentRecord;
}

/** What a saga command did, decided and recorded in one transaction with its inbox claim. */
export type CommandEffect =
  | { kind: 'duplicate' }
  | { kind: 'voided'; payments: PaymentRecord[] }
  | { kind: 'nothing'; reason: string }
  /** `requested`: set when less than asked was reserved, because that was all that was left. */
  | { kind: 'refund_reserved'; reservation: RefundReservation; requested?: string }
  /** payment.collect completed the order's cash payment; `orderedTotalAmount` when for less than ordered. */
  | { kind: 'collected'; payment: PaymentRecord; orderedTotalAmount?: string };

export const PAYMENT_SORT_FIELDS = ['created_at', 'total_amount'] as const;
export const REFUND_SORT_FIELDS = ['created_at', 'amount'] as const;

/** Created in [createdAfter, createdBefore). */
interface CreatedBetween {
  createdAfter?: Date;
  createdBefore?: Date;
}

export interface PaymentFilter extends CreatedBetween {
  /** A buyer's own payments; absent for an admin's list of every payment. */
  userId?: string;
  status?: PaymentStatus;
  gateway?: string;
  sort: SortOf<(typeof PAYMENT_SORT_FIELDS)[number]>;
}

export interface RefundFilter extends CreatedBetween {
  paymentId?: string;
  status?: RefundStatus;
  sort: SortOf<(typeof REFUND_SORT_FIELDS)[number]>;
}

// The stores, one per table or aggregate (src/infra/*-store.ts). Every status they write goes
// through its transition table in domain/ (payment-status.ts, attempt-status.ts, refunds.ts,
// captures.ts), which throws on a move it does not list.

/** gateways: what a payment may be created with (fees, active). */
export interface GatewayStore {
  listGateways(activeOnly: boolean): Promise<GatewayRecord[]>;
  findGateway(name: string): Promise<GatewayRecord | null>;
}

/** payments: created, read, closed, collected by hand. */
export interface PaymentStore {
  /** Throws conflict PAYMENT_EXISTS (details.payment_id) when the order already has a live payment. */
  createPayment(data: NewPayment): Promise<PaymentRecord>;
  findPayment(paymentId: string): Promise<PaymentRecord | null>;
  findLivePayment(orderReference: string): Promise<PaymentRecord | null>;
  /** Create's one read: the gateway (null: there is none by that name) and the order's live payment, if any. */
  findGatewayAndLivePayment(gateway: string, orderReference: string): Promise<{ gateway: GatewayRecord | null; live: PaymentRecord | null }>;
  /** The live payment if any, else the most recent one. */
  findCurrentPaymentForOrder(orderReference: string): Promise<PaymentRecord | null>;
  getPaymentDetail(paymentId: string): Promise<PaymentDetail | null>;
  listPayments(page: number, pageSize: number, filter: PaymentFilter): Promise<Page<PaymentRecord>>;
  /** pending|failed → expired|cancelled (order no longer payable). */
  closePayment(paymentId: string, to: 'expired' | 'cancelled', reason: string): Promise<PaymentRecord | null>;
  /** Cash on delivery: pending → completed. */
  markCollected(paymentId: string, collectedBy: string): Promise<PaymentRecord>;
}

/** payment_attempts, and the payment's status as its charges move it. */
export interface ChargeStore {
  /**
   * pending|failed (or processing left stale by a crash) → processing, with a new attempt row.
   * Under the row lock: of N concurrent callers exactly one gets a claim, the others null.
   */
  claimForProcessing(args: ClaimArgs): Promise<ProcessingClaim | null>;
  /** Payments left `processing` longer than the stale window, with what their attempt was given. */
  findStaleProcessing(olderThan: Date, limit: number): Promise<Array<{ payment: PaymentRecord; paymentMethodId: string | null }>>;
  /** Applies a gateway answer to the claimed attempt (and its events); returns the payment as it now is. */
  recordChargeOutcome(paymentId: string, attemptNumber: number, result: ChargeResult): Promise<PaymentRecord>;
  /** The gateway call failed. keepProcessing: the outcome is unknown, so the attempt stays open for a resume. */
  recordAttemptError(paymentId: string, attemptNumber: number, error: { code: string; message: string }, keepProcessing: boolean): Promise<void>;
}

/** webhook_events: a gateway's event recorded once and applied to its payment. */
export interface WebhookStore {
  applyGatewayEvent(input: GatewayEventInput): Promise<GatewayEventResult>;
}

/** duplicate_captures: second captures and their automatic refund. */
export interface DuplicateCaptureStore {
  /** Duplicate captures, newest first (the saga dashboard lists them). */
  listDuplicateCaptures(filter: { status?: DuplicateCaptureStatus; orderReference?: string; limit: number }): Promise<DuplicateCaptureRecord[]>;
  /** Duplicate captures whose refund is still to be sent (or retried with the same key). */
  findDuplicateCapturesToRefund(paymentId: string | null, limit: number): Promise<DuplicateCaptureRecord[]>;
  /**
   * Takes a duplicate capture's refund for one gateway call unless another call started after
   * `leaseFrom` (a conditional UPDATE: of concurrent callers one wins, the others get null).
   */
  claimDuplicateCaptureRefund(id: string, leaseFrom: Date): Promise<DuplicateCaptureRecord | null>;
  /** The refund's answer: refunded, or a gateway error (final: refund_failed; otherwise retried). */
  recordDuplicateCaptureRefund(
    id: string,
    outcome: { kind: 'refunded'; gatewayRefundId: string } | { kind: 'error'; code: string; final: boolean },
  ): Promise<DuplicateCaptureRecord>;
}

/** refunds: reserved under the payment's row lock, sent, settled once. */
export interface RefundStore {
  /** Locks the payment row, checks the remaining amount and reserves it with a pending refund. */
  reserveRefund(args: { paymentId: string; amount?: string; reason: string; requestedBy: string }): Promise<RefundReservation>;
  /**
   * Takes a pending refund for one gateway call (attempt_count + 1) unless another call started
   * after `leaseFrom` (a conditional UPDATE: of concurrent callers one wins, the others get null).
   * The refund returned counts this attempt: attempt_count > 1 means an earlier call may have
   * reached the gateway.
   */
  claimRefundAttempt(refundId: string, leaseFrom: Date): Promise<RefundReservation | null>;
  completeRefund(refundId: string, gatewayRefundId: string): Promise<RefundReservation>;
  /** The gateway refused it for good: failed, and the reserved amount is given back. */
  failRefund(refundId: string, reason: string): Promise<void>;
  /** The call's outcome is unknown: the refund stays pending (and reserved), with why. */
  noteRefundPending(refundId: string, error: string): Promise<RefundReservation | null>;
  /** Pending refunds (admin or saga) whose last gateway call, or creation, is older than `olderThan`. */
  findStalePendingRefunds(olderThan: Date, limit: number): Promise<RefundRecord[]>;
  findRefund(refundId: string): Promise<RefundRecord | null>;
  listRefunds(page: number, pageSize: number, filter: RefundFilter): Promise<Page<RefundRecord>>;
}

/** The saga's commands, each in one transaction with its inbox claim. */
export interface OrderCommandStore {
  voidForOrder(claim: InboxClaim, orderId: string, reason: string): Promise<CommandEffect>;
  /** payment.refund without a key (src/domain/order-refund.ts): everything left, or the answer that nothing is. */
  refundForOrder(claim: InboxClaim, orderId: string, reason: string): Promise<CommandEffect>;
  /**
   * payment.refund with a refund_key (src/domain/keyed-refunds.ts): answered again when the key is
   * refunded or being refunded, otherwise a refund of the amount (at most what is left) reserved;
   * with nothing captured, payment.refunded 0.00 and nothing voided. One transaction with the claim.
   */
  refundKeyedForOrder(claim: InboxClaim, orderId: string, reason: string, request: KeyedRefundRequest): Promise<CommandEffect>;
  /**
   * payment.collect (src/domain/cash-collection.ts): the order's cash payment awaiting collection
   * completes for `amount`, what the stores collected (collected_by "stores"); collected before, or
   * none awaiting: nothing. One transaction with the claim; throws invalid (before committing
   * anything) when `amount` is more than the payment's total.
   */
  collectForOrder(claim: InboxClaim, orderId: string, amount: string): Promise<CommandEffect>;
}
