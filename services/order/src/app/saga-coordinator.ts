import { createEnvelope, type Envelope } from '@sudamall/shared';
import { statusChangedEvents } from './order-events';
import type { OrderStatus } from '../domain/order-status';
import { orderNotFound } from '../domain/errors';
import { decide } from '../saga/saga-engine';
import type { ReplyType, SagaDecision, SagaInput, SagaTimings } from '../saga/saga-types';
import { SYSTEM, type ActorRef, type CheckoutTx, type Clock, type DecisionWrite, type OrderHead, type UnitOfWork } from './ports';

/** One reply of a batch: the message, and how to run code in its trace (the bus's BatchItem). */
export interface ReplyInBatch {
  envelope: Envelope;
  within<T>(fn: () => T): T;
}

export interface SagaSettings {
  paymentWindowMs: number;
  reservationMarginMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  stepTimeoutMs: number;
  maxAttempts: number;
}

/** Reply types the saga listens to, by topic. */
export const SAGA_REPLY_TYPES: ReadonlySet<string> = new Set<ReplyType>([
  'stock.reserved',
  'stock.rejected',
  'stock.confirmed',
  'stock.released',
  'payment.succeeded',
  'payment.failed',
  'payment.refunded',
  'payment.refund_failed',
  'payment.voided',
]);

/**
 * Runs saga inputs (participant replies, cancellations, timers) through the pure saga engine
 * and persists each decision atomically: saga row, order status and history, step log, and the
 * outgoing commands and order events in the outbox.
 */
export class SagaCoordinator {
  /** Listeners of one order each (PlaceOrder's waiting creates): a move wakes only its own. */
  private readonly orderListeners = new Map<string, Set<(status: OrderStatus) => void>>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly settings: SagaSettings,
  ) {}

  timings(): SagaTimings {
    return { now: this.clock.now(), ...this.settings };
  }

  /** Hears every move of one order this process commits, from now until the returned function is called. */
  onOrderMoved(orderId: string, listener: (status: OrderStatus) => void): () => void {
    let set = this.orderListeners.get(orderId);
    if (!set) this.orderListeners.set(orderId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.orderListeners.get(orderId) === set) this.orderListeners.delete(orderId);
    };
  }

  /** Called after the transaction that moved the order committed (readers see the new status). */
  notifyOrderChanged(orderId: string, status: OrderStatus): void {
    const own = this.orderListeners.get(orderId);
    if (own) for (const l of [...own]) l(status);
  }

  /** A participant's reply from Kafka, applied at most once per (consumer, event id). */
  async handleReply(consumer: string, envelope: Envelope): Promise<'applied' | 'duplicate' | 'unknown_order' | 'ignored'> {
    if (!SAGA_REPLY_TYPES.has(envelope.type)) return 'ignored';
    const orderId = (envelope.data as { order_id?: unknown }).order_id;
    if (typeof orderId !== 'string') return 'ignored';
    let changed: OrderStatus | undefined;
    const outcome = await this.uow.runReply(async (tx) => {
      const locked = await tx.claimAndLockSaga(consumer, envelope.id, orderId);
      if (locked === 'duplicate') return 'duplicate' as const;
      // Another deployment's order (shared topic) or a message for an order that never committed.
      if (!locked) return 'unknown_order' as const;
      changed = await this.applyLocked(tx, locked.order, locked.saga, { kind: 'reply', type: envelope.type as ReplyType, data: envelope.data }, SYSTEM);
      return 'applied' as const;
    });
    if (changed) this.notifyOrderChanged(orderId, changed);
    return outcome;
  }

  /**
   * Several checkout-saga replies in ONE transaction (a batch the bus fetched together): each
   * applied at most once per (consumer, event id), as handleReply would one by one. Each order
   * appears at most once (HandleSagaReply cuts batches so), and every reply names a UUID order.
   * `within` runs a reply's decision in that message's trace, so the commands it sends carry it.
   */
  async handleReplies(consumer: string, replies: readonly ReplyInBatch[]): Promise<void> {
    const changed: Array<{ orderId: string; status: OrderStatus }> = [];
    await this.uow.runReplies(async (tx) => {
      const locked = await tx.claimAndLockSagas(
        consumer,
        replies.map((r) => ({ eventId: r.envelope.id, orderId: (r.envelope.data as { order_id: string }).order_id })),
      );
      const writes: DecisionWrite[] = [];
      replies.forEach((reply, n) => {
        const l = locked[n];
        // A redelivery, or another deployment's order (claimed, as handleReply does).
        if (!l || l === 'duplicate') return;
        reply.within(() => {
          const decision = decide(l.saga, l.order.status, { kind: 'reply', type: reply.envelope.type as ReplyType, data: reply.envelope.data }, this.timings());
          writes.push(this.decisionWrite(l.order, decision, SYSTEM));
          if (decision.order) changed.push({ orderId: l.order.id, status: decision.order.to });
        });
      });
      await tx.applyDecisions(writes);
    });
    for (const c of changed) this.notifyOrderChanged(c.orderId, c.status);
  }

  /**
   * Runs one input for one order in its own transaction. `authorize` sees the locked order first
   * (ownership checks) and may throw.
   */
  async run(
    orderId: string,
    input: SagaInput,
    by: ActorRef = SYSTEM,
    opts: { authorize?: (order: OrderHead) => void; notes?: string } = {},
  ): Promise<OrderStatus> {
    let changed: OrderStatus | undefined;
    const status = await this.uow.run(async (tx) => {
      const locked = await tx.lockSaga(orderId);
      if (!locked) throw orderNotFound(orderId);
      opts.authorize?.(locked.order);
      changed = await this.applyLocked(tx, locked.order, locked.saga, input, by, opts.notes);
      return changed ?? locked.order.status;
    });
    if (changed) this.notifyOrderChanged(orderId, changed);
    return status;
  }

  /** Persists a decision; returns the order's new status when it changed. */
  async applyLocked(
    tx: Pick<CheckoutTx, 'applyDecision'>,
    order: OrderHead,
    saga: SagaDecision['saga'],
    input: SagaInput,
    by: ActorRef,
    notes?: string,
  ): Promise<OrderStatus | undefined> {
    const decision = decide(saga, order.status, input, this.timings());
    await this.persist(tx, order, decision, by, notes);
    return decision.order?.to;
  }

  async persist(tx: Pick<CheckoutTx, 'applyDecision'>, order: OrderHead, decision: SagaDecision, by: ActorRef, notes?: string): Promise<void> {
    await tx.applyDecision(this.decisionWrite(order, decision, by, notes));
  }

  /** What a decision writes: its saga and step log, its commands and the order's events in the outbox, its status change. */
  private decisionWrite(order: OrderHead, decision: SagaDecision, by: ActorRef, notes?: string): DecisionWrite {
    const outbox: DecisionWrite['outbox'] = decision.commands.map((c) => ({ topic: c.topic, envelope: createEnvelope(c.type, order.id, c.data as never) }));
    const change = decision.order;
    if (change) {
      const expiresAt = change.paymentExpiresAt ?? (change.to === 'under_paying' ? order.paymentExpiresAt : null);
      outbox.push(...statusChangedEvents(order, change.to, change.reason ?? null, expiresAt));
    }
    return {
      orderId: order.id,
      saga: decision.saga,
      log: decision.log,
      outbox,
      status: change ? { from: order.status, change, by, notes } : undefined,
    };
  }
}
