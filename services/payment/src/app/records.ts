// Plain records the use cases and transports work with (money as decimal strings), so nothing
// above infra/ depends on Prisma's types.
import type { AttemptStatus } from '../domain/attempt-status';
import type { DuplicateCaptureStatus } from '../domain/captures';
import type { PaymentStatus } from '../domain/payment-status';
import type { RefundStatus } from '../domain/refunds';

export type { AttemptStatus, DuplicateCaptureStatus, RefundStatus };

export interface GatewayRecord {
  name: string;
  displayName: string;
  type: 'card' | 'wallet' | 'offline';
  isActive: boolean;
  testMode: boolean;
  fixedFee: string;
  percentageFee: string;
}

export interface PaymentRecord {
  paymentId: string;
  orderReference: string;
  userId: string;
  gateway: string;
  paymentMethod: string;
  currency: string;
  amount: string;
  gatewayFee: string;
  totalAmount: string;
  refundedAmount: string;
  status: PaymentStatus;
  attemptCount: number;
  gatewayTransactionId: string | null;
  gatewayReference: string | null;
  failureReason: string | null;
  metadata: Record<string, unknown>;
  expiresAt: Date | null;
  processingStartedAt: Date | null;
  completedAt: Date | null;
  cancelledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface AttemptRecord {
  id: string;
  paymentId: string;
  attemptNumber: number;
  status: AttemptStatus;
  idempotencyKey: string;
  gatewayResponse: Record<string, unknown>;
  failureCode: string | null;
  failureReason: string | null;
  cardLast4: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

export interface RefundRecord {
  refundId: string;
  paymentId: string;
  amount: string;
  reason: string;
  status: RefundStatus;
  gatewayRefundId: string | null;
  failureReason: string | null;
  requestedBy: string;
  sourceEventId: string | null;
  /** payment.refund's refund_key: the order's name for this (partial) refund, echoed on its events. */
  refundKey: string | null;
  /** Gateway calls made for it (send or lookup); more than one: an earlier one may have gone through. */
  attemptCount: number;
  lastAttemptAt: Date | null;
  /** Why it is still pending: the last call's outcome was unknown (timeout, outage). */
  lastError: string | null;
  createdAt: Date;
  processedAt: Date | null;
}

/** A second capture of one payment (or of another payment of its order), refunded automatically. */
export interface DuplicateCaptureRecord {
  id: string;
  paymentId: string;
  orderReference: string;
  gateway: string;
  transactionId: string;
  amount: string;
  currency: string;
  source: string;
  livePaymentId: string | null;
  status: DuplicateCaptureStatus;
  gatewayRefundId: string | null;
  refundAttempts: number;
  lastError: string | null;
  detectedAt: Date;
  refundedAt: Date | null;
}

export interface PaymentDetail {
  payment: PaymentRecord;
  attempts: AttemptRecord[];
  refunds: RefundRecord[];
}

export interface Page<T> {
  items: T[];
  total: number;
}

/** A consumer's claim on a Kafka message, taken in the same transaction as the effect. */
export interface InboxClaim {
  consumer: string;
  eventId: string;
}
