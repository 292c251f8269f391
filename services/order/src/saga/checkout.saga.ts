import { Topics, type ShortLine, type StockRejectedEvent } from '@sudamall/shared';
import type { OrderStatus } from '../domain/order-status';
import { paymentDeadline, reservationExpiryOf } from '../domain/payment-deadline';
import type { CheckoutContext, CommandType, OrderChange, ReplyType, SagaCommand, SagaState, SagaTimings } from './saga-types';

/**
 * One step of the checkout saga, declared as data: what it sends, what each reply means, how it
 * is undone, what the order becomes. The engine (saga-engine.ts) only interprets this list.
 * `compensate` undoes a step that completed; `abort` undoes one cut short while its command may
 * still land (both must be idempotent on the participant's side).
 */
export interface SagaStep {
  name: string;
  /** The saga's state while this step is in flight. */
  state: SagaState;
  invoke?: (ctx: CheckoutContext) => SagaCommand;
  success: readonly ReplyType[];
  /** What a success tells later steps and compensations (kept in the saga's context). */
  record?: (data: unknown) => Partial<CheckoutContext>;
  /** The order's status once the step succeeds. */
  orderOnSuccess?: OrderStatus;
  /** Replies that fail the step: the order is cancelled with `failureReason`. */
  failure: readonly ReplyType[];
  failureReason: string;
  /** What a failure reply tells the order besides its reason (the lines inventory could not reserve). */
  failureDetails?: (type: ReplyType, data: unknown) => Pick<OrderChange, 'shortLines'>;
  /**
   * The step's own deadline, armed when it is entered from the reply that led there; passing it
   * fails the step with `reason`. The order shows it (payment_expires_at).
   */
  deadline?: { reason: string; at: (entry: StepEntry) => StepDeadline };
  /**
   * Refused while the step is in flight (e.g. cancelling while stock is being confirmed); only an
   * operator's forced cancellation unwinds it then, through `abort`.
   */
  cancellable: boolean;
  compensate?: (ctx: CheckoutContext, reason: string) => SagaCommand;
  abort?: (ctx: CheckoutContext, reason: string) => SagaCommand;
}

/** What a step's deadline is computed from: the saga's context, the reply that ended the previous step, the clock. */
export interface StepEntry {
  ctx: CheckoutContext;
  reply: unknown;
  t: SagaTimings;
}

export interface StepDeadline {
  at: Date;
  /** A line for the step log when the deadline is not the usual one (and why). */
  note?: { type: string; payload: unknown };
}

function command<T extends CommandType>(
  topic: SagaCommand['topic'],
  type: T,
  data: SagaCommand<T>['data'],
  replies: ReplyType[],
  refusals?: ReplyType[],
): SagaCommand {
  return { topic, type, data, replies, ...(refusals ? { refusals } : {}) };
}

const reserve = (ctx: CheckoutContext) =>
  command(Topics.inventoryCommands, 'inventory.reserve', { order_id: ctx.order_id, lines: ctx.lines }, ['stock.reserved', 'stock.rejected']);
// A release of an order whose reserve was rejected finds nothing and inventory stays silent;
// the rejection (queued before the release on the order's partition) answers it.
const release = (ctx: CheckoutContext, reason: string) =>
  command(Topics.inventoryCommands, 'inventory.release', { order_id: ctx.order_id, reason }, ['stock.released', 'stock.rejected']);
// Undoes a confirmation that may have landed: inventory gives back the units the order holds,
// reserved or already sold (sold → available exactly once per line), and answers stock.released.
const restock = (ctx: CheckoutContext, reason: string) =>
  command(Topics.inventoryCommands, 'inventory.release', { order_id: ctx.order_id, reason, restock: true }, ['stock.released', 'stock.rejected']);
const confirm = (ctx: CheckoutContext) =>
  command(Topics.inventoryCommands, 'inventory.confirm', { order_id: ctx.order_id }, ['stock.confirmed', 'stock.rejected', 'stock.released']);
// No reply is awaited for a void: payment answers payment.voided only when it cancelled something
// (or the order has no payment at all), and stays silent when its payments had already failed. A
// charge in flight keeps the void and answers it when it ends: payment.voided when nothing was
// captured, payment.succeeded (which the saga refunds) when it was. The command itself cannot be
// lost (outbox → Kafka → idempotent consumer).
const voidPayment = (ctx: CheckoutContext, reason: string) => command(Topics.paymentCommands, 'payment.void', { order_id: ctx.order_id, reason }, []);
// A refund the gateway definitely refused (payment.refund_failed) will not come by re-sending on
// a timer: the saga waits for an operator, whose retry asks payment for a new refund attempt.
const refund = (ctx: CheckoutContext, reason: string) =>
  command(Topics.paymentCommands, 'payment.refund', { order_id: ctx.order_id, reason }, ['payment.refunded'], ['payment.refund_failed']);

// The buyer's payment window (this order's own when placement asked for a shorter one), capped by
// the reservation's own expiry: a stock.reserved processed late must not keep the order payable
// after inventory gave the stock back.
function paymentWindow({ ctx, reply, t }: StepEntry): StepDeadline {
  const reservationExpiresAt = reservationExpiryOf(reply);
  const windowMs = ctx.payment_window_ms ?? t.paymentWindowMs;
  const deadline = paymentDeadline({ now: t.now, windowMs, reservationExpiresAt, marginMs: t.reservationMarginMs });
  if (!deadline.shortened || !reservationExpiresAt) return { at: deadline.deadlineAt };
  const payload = { deadline_at: deadline.deadlineAt.toISOString(), reservation_expires_at: reservationExpiresAt.toISOString(), window_ms: windowMs };
  return { at: deadline.deadlineAt, note: { type: 'payment_window_shortened', payload } };
}

// A rejection names the lines inventory could not reserve; the cancelled order keeps them.
const shortLines = (type: ReplyType, data: unknown) => {
  const lines = shortLinesOf(type, data);
  return lines ? { shortLines: lines } : {};
};

/** Reserve stock → wait for the buyer's payment → confirm the reserved stock as sold. */
export const CHECKOUT_SAGA: readonly SagaStep[] = [
  {
    name: 'reserve_stock',
    state: 'reserving',
    invoke: reserve,
    success: ['stock.reserved'],
    orderOnSuccess: 'under_paying',
    failure: ['stock.rejected'],
    failureReason: 'insufficient_stock',
    failureDetails: shortLines,
    cancellable: true,
    compensate: release,
    // The reserve may still be applied after we give up on it; a release queued behind it on the
    // same partition undoes it.
    abort: release,
  },
  {
    name: 'await_payment',
    state: 'awaiting_payment',
    success: ['payment.succeeded'],
    // The payment the refund compensation names.
    record: (data) => ({ payment_id: (data as { payment_id?: string }).payment_id }),
    // Inventory let the reservation lapse on its own: the stock is gone, so the order cannot be paid.
    failure: ['stock.released'],
    failureReason: 'reservation_expired',
    deadline: { reason: 'payment_timeout', at: paymentWindow },
    cancellable: true,
    compensate: refund,
    abort: voidPayment,
  },
  {
    name: 'confirm_stock',
    state: 'confirming',
    invoke: confirm,
    success: ['stock.confirmed'],
    orderOnSuccess: 'processing',
    // The reservation was gone when the confirmation arrived: the buyer paid for stock we cannot sell.
    failure: ['stock.rejected', 'stock.released'],
    failureReason: 'stock_confirmation_failed',
    failureDetails: shortLines,
    // Not the buyer's to cancel; an operator's forced compensation aborts it. The confirm sent
    // before may already have sold the units, so a plain release would find nothing to give back.
    cancellable: false,
    abort: restock,
    // A stock.confirmed that arrives after the saga unwound is undone the same way.
    compensate: restock,
  },
];

export function shortLinesOf(type: ReplyType, data: unknown): ShortLine[] | undefined {
  if (type !== 'stock.rejected') return undefined;
  const lines = (data as Partial<StockRejectedEvent>).short_lines;
  return Array.isArray(lines) ? lines : [];
}
