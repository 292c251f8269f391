import type { MessageType, MessageTypes, ReserveLine, ShortLine, TopicName } from '@sudamall/shared';
import type { OrderStatus } from '../domain/order-status';

/** Where a checkout saga is. The forward states name the step in flight. */
export type SagaState = 'reserving' | 'awaiting_payment' | 'confirming' | 'done' | 'compensating' | 'compensated';
export const SAGA_STATES: readonly SagaState[] = ['reserving', 'awaiting_payment', 'confirming', 'done', 'compensating', 'compensated'];

export type CommandType = 'inventory.reserve' | 'inventory.confirm' | 'inventory.release' | 'inventory.restock' | 'payment.void' | 'payment.refund';
export type ReplyType = Exclude<MessageType, CommandType>;

/**
 * A command the saga sends, and the reply types that answer it (so it can be re-sent until one
 * comes). No reply types: sent once and not awaited.
 */
export interface SagaCommand<T extends CommandType = CommandType> {
  topic: TopicName;
  type: T;
  data: MessageTypes[T];
  replies: ReplyType[];
  /**
   * Replies that say the participant definitely refused (a refund the gateway turned down): the
   * saga keeps waiting for a reply, but is flagged stuck for an operator, whose retry re-sends it.
   */
  refusals?: ReplyType[];
}

/** What the saga remembers between messages (persisted as JSON). */
export interface CheckoutContext {
  order_id: string;
  user_id: string;
  lines: ReserveLine[];
  /** Steps that finished successfully, in order (their compensations run in reverse). */
  completed: string[];
  payment_id?: string;
  cancel_reason?: string;
  /** This order's payment window when placement asked for a shorter one (test mode only); else the platform's. */
  payment_window_ms?: number;
  /**
   * Replies that answer a later step and arrived before the saga got there (events of two
   * topics are not ordered with each other); applied when that step is entered.
   */
  early?: Array<{ type: ReplyType; data: unknown }>;
}

export interface SagaSnapshot {
  state: SagaState;
  currentStep: string;
  attempts: number;
  awaiting: SagaCommand[];
  context: CheckoutContext;
  stepStartedAt: Date;
  deadlineAt: Date | null;
  nextRetryAt: Date | null;
  stuck: boolean;
  lastError: string | null;
}

export type StepLogKind = 'command' | 'reply' | 'retry' | 'error' | 'compensation';
export interface StepLogEntry {
  step: string;
  kind: StepLogKind;
  type: string;
  payload: unknown;
}

export interface OrderChange {
  to: OrderStatus;
  reason?: string;
  shortLines?: ShortLine[];
  paymentExpiresAt?: Date;
}

/** What the saga decided for one input: the caller persists all of it in one transaction. */
export interface SagaDecision {
  saga: SagaSnapshot;
  order?: OrderChange;
  commands: SagaCommand[];
  log: StepLogEntry[];
}

export type SagaInput =
  | { kind: 'reply'; type: ReplyType; data: unknown }
  /** `force`: an operator's, which also unwinds a step no buyer may cancel (confirming). */
  | { kind: 'cancel'; reason: string; force?: boolean }
  | { kind: 'payment_deadline' }
  | { kind: 'retry' };

export interface SagaTimings {
  now: Date;
  /** How long the buyer has to pay once stock is reserved. */
  paymentWindowMs: number;
  /** The window closes at least this long before the reservation lapses (`stock.reserved.expires_at`). */
  reservationMarginMs: number;
  /** First re-send delay for an unanswered command; doubles per attempt up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** A step with no progress for this long is flagged stuck. */
  stepTimeoutMs: number;
  /** More re-sends than this and the saga is flagged stuck. */
  maxAttempts: number;
}
