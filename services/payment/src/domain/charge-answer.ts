import type { AttemptStatus } from './attempt-status';
import { awaitingCollectionMetadata } from './cash-collection';
import type { PaymentStatus } from './payment-status';

// What a gateway's answer to a charge attempt means for the attempt and its payment. The store
// applies the plan with the payment row locked, in one transaction with the plan's event.

export type GatewayRaw = Record<string, unknown>;

export type ChargeResult =
  | { status: 'succeeded'; transactionId: string; reference?: string; raw: GatewayRaw }
  | { status: 'declined'; code: string; message: string; reference?: string; raw: GatewayRaw }
  /** The payer must act first (approve at PayPal); `process` again afterwards. */
  | { status: 'requires_action'; reference: string; actionUrl?: string; raw: GatewayRaw }
  /** Nothing to charge now (cash on delivery): collected later. */
  | { status: 'pending'; reference?: string; raw: GatewayRaw }
  /** Accepted, outcome not known yet: the gateway's webhook settles it. */
  | { status: 'processing'; reference: string; raw: GatewayRaw };

/** The payment as the answer's meaning depends on it. */
export interface AnsweredPayment {
  status: PaymentStatus;
  attemptCount: number;
  gatewayReference: string | null;
  metadata: Record<string, unknown>;
}

export interface ChargeAnswerPlan {
  attempt: {
    /** Absent: the attempt stays as it is (still in flight). */
    status?: AttemptStatus;
    /** replace: the answer is the attempt's gateway response; merge: added to what a replay needs (payment_method_id). */
    response: 'replace' | 'merge';
    failureCode?: string;
    failureReason?: string;
    /** The attempt ended now. */
    completed: boolean;
  };
  /** Money was captured: the store settles it (completion, replay or duplicate; domain/captures.ts). */
  capture: { transactionId: string; reference?: string } | null;
  /** What changes on the payment; null: nothing (a late answer, or a capture settled above). */
  payment: {
    status?: PaymentStatus;
    failureReason?: string;
    gatewayReference?: string | null;
    metadata?: Record<string, unknown>;
  } | null;
  /** The event the change announces, in the same transaction. */
  announce: 'payment.failed' | 'payment.succeeded' | null;
  /** The order asked for a void during the charge: once it ends without a capture, the payment closes as the void would have. */
  closeRequestedVoid: boolean;
}

/**
 * What `result` means for attempt `attemptNumber` of payment `p` (read under its row lock). A late
 * answer for an attempt the payment has moved past (a slow sweep, a lookup) changes that attempt
 * only: the current attempt owns the payment's status. A capture is settled whichever attempt it
 * belongs to (money that moved is never ignored).
 */
export function chargeAnswer(p: AnsweredPayment, attemptNumber: number, result: ChargeResult): ChargeAnswerPlan {
  const current = p.attemptCount === attemptNumber && p.status === 'processing';
  const ended = { response: 'replace', completed: true } as const;
  switch (result.status) {
    case 'succeeded':
      return {
        attempt: { status: 'succeeded', ...ended },
        capture: { transactionId: result.transactionId, ...(result.reference !== undefined ? { reference: result.reference } : {}) },
        payment: null,
        announce: null,
        closeRequestedVoid: false,
      };
    case 'declined':
      return {
        attempt: { status: 'failed', ...ended, failureCode: result.code, failureReason: result.message },
        capture: null,
        payment: current ? { status: 'failed', failureReason: result.code, gatewayReference: result.reference ?? p.gatewayReference } : null,
        announce: current ? 'payment.failed' : null,
        closeRequestedVoid: current,
      };
    case 'requires_action':
      return {
        attempt: { status: 'requires_action', ...ended },
        capture: null,
        payment: current ? { status: 'pending', gatewayReference: result.reference, metadata: { ...p.metadata, action_url: result.actionUrl ?? null } } : null,
        announce: null,
        // Waiting for the payer of an order that is gone: pending would stay chargeable.
        closeRequestedVoid: current,
      };
    case 'pending':
      // Cash on delivery: nothing to wait for online, so the order goes ahead (and ships); the
      // payment itself completes when the cash is collected.
      return {
        attempt: { status: 'awaiting_collection', ...ended },
        capture: null,
        payment: current ? { status: 'pending', gatewayReference: result.reference ?? null, metadata: awaitingCollectionMetadata(p.metadata) } : null,
        announce: current ? 'payment.succeeded' : null,
        closeRequestedVoid: false,
      };
    case 'processing':
      // Still open: what a replay needs (payment_method_id) stays next to the gateway's answer.
      return {
        attempt: { response: 'merge', completed: false },
        capture: null,
        payment: current ? { gatewayReference: result.reference } : null,
        announce: null,
        closeRequestedVoid: false,
      };
  }
}
