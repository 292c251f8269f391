import { conflict, type AuthUser } from '@sudamall/shared';
import { orderNotFound } from '../domain/errors';
import type { SagaCommand } from '../saga/saga-types';
import { compensateDecision, resolveDecision, retryDecision, type AdminAction, type AdminDecision, type AdminLogEntry } from './saga-actions';
import type { SagaCoordinator } from './saga-coordinator';
import type { CheckoutTx, Clock } from './ports';

// The saga dashboard's use cases: list and inspect sagas, and the operator actions (retry,
// compensate, resolve), each audited and idempotent per (order, idempotency key).

/**
 * The oldest saga age a list filter may ask for (ten years): past it `now - age` leaves the
 * dates PostgreSQL can hold, so the routes' schemas refuse it as VALIDATION_FAILED.
 */
export const MAX_SAGA_AGE_SECONDS = 10 * 365 * 24 * 3600;

export interface SagaListFilters {
  state?: string;
  stuck?: boolean;
  olderThanSeconds?: number;
  orderId?: string;
  userId?: string;
  page: number;
  pageSize: number;
}

export interface SagaListItem {
  order_id: string;
  user_id: string;
  order_status: string;
  total_amount: string;
  state: string;
  step: string;
  attempts: number;
  stuck: boolean;
  last_error: string | null;
  trace_id: string | null;
  deadline_at: string | null;
  next_retry_at: string | null;
  age_seconds: number;
  created_at: string;
  updated_at: string;
}

export interface SagaListResult {
  items: SagaListItem[];
  total: number;
  counts: Record<string, number>;
  stuck_count: number;
}

export interface AdminActionRecord {
  action: string;
  idempotency_key: string;
  actor_id: string;
  actor_role: string;
  note: string;
  state_before: string;
  step_before: string;
  state_after: string;
  created_at: string;
}

export interface StepLogView {
  id: string;
  step: string;
  kind: string;
  type: string;
  payload: unknown;
  created_at: string;
}

export interface SagaRecord {
  state: string;
  step: string;
  attempts: number;
  stuck: boolean;
  last_error: string | null;
  trace_id: string | null;
  step_started_at: string;
  deadline_at: string | null;
  next_retry_at: string | null;
  awaiting: SagaCommand[];
  context: unknown;
  created_at: string;
  updated_at: string;
}

/** Everything an action does, in one transaction (the saga's own port plus the audit trail). */
export interface SagaAdminTx extends CheckoutTx {
  findAction(orderId: string, idempotencyKey: string): Promise<AdminActionRecord | null>;
  recordAction(orderId: string, record: Omit<AdminActionRecord, 'created_at'>): Promise<AdminActionRecord>;
  appendAdminLog(orderId: string, entry: AdminLogEntry): Promise<void>;
}

/** `Order`: the order as the dashboard shows it (the container gives GET orders/{id}/'s shape). */
export interface SagaAdminStore<Order = unknown> {
  run<T>(fn: (tx: SagaAdminTx) => Promise<T>): Promise<T>;
  list(filters: SagaListFilters, now: Date): Promise<SagaListResult>;
  saga(orderId: string): Promise<SagaRecord | null>;
  steps(orderId: string): Promise<StepLogView[]>;
  actions(orderId: string): Promise<AdminActionRecord[]>;
  order(orderId: string): Promise<Order | null>;
}

/** The payment service's record of an order's payment (attempts, failures), when reachable. */
export interface PaymentLookupPort {
  paymentOf(orderId: string): Promise<PaymentView | null>;
}
export interface PaymentView {
  payment_id: string;
  status: string;
  amount: string;
  gateway_fee: string;
  total_amount: string;
  refunded_amount: string;
  gateway: string;
  payment_method: string;
  attempt_count: number;
  failure_reason: string;
  created_at: string;
  updated_at: string;
  completed_at: string;
}

export interface ReservationView {
  /** `reserved` (lines hold stock), `rejected`, `released`, `confirmed` (sold) or `requested` (no answer yet). */
  outcome: string;
  lines: Array<{ line_id: string; product_id: string; size: string | null; quantity: number; reservation_id: string | null }>;
  short_lines: unknown[];
  source: 'saga_log';
}

export interface SagaDetail<Order = unknown> {
  order: Order;
  saga: SagaRecord;
  steps: StepLogView[];
  actions: AdminActionRecord[];
  reservations: ReservationView;
  payment: PaymentView | null;
  payment_service: 'ok' | 'unavailable';
  trace_url: string | null;
}

export interface ActionInput {
  action: AdminAction;
  idempotencyKey: string;
  note: string;
}

export interface ActionOutcome {
  order_id: string;
  action: AdminAction;
  replayed: boolean;
  record: AdminActionRecord;
}

/** `http://host/trace/{trace_id}` → the link for one trace; null without a template or trace id. */
export function traceUrl(template: string | undefined, traceId: string | null): string | null {
  if (!template || !traceId) return null;
  return template.split('{trace_id}').join(encodeURIComponent(traceId));
}

/**
 * What the saga's log says of the stock: inventory has no RPC listing an order's reservations,
 * but the saga records the reserve command and every reply (with the reservation ids).
 */
export function reservationsFromLog(steps: StepLogView[]): ReservationView {
  const reserve = steps.find((s) => s.type === 'inventory.reserve');
  const requested = ((reserve?.payload as { lines?: ReservationView['lines'] } | undefined)?.lines ?? []).map((l) => ({ ...l, reservation_id: null }));
  let outcome = reserve ? 'requested' : 'none';
  let lines: ReservationView['lines'] = requested;
  let shortLines: unknown[] = [];
  for (const s of steps) {
    if (s.kind !== 'reply') continue;
    if (s.type === 'stock.reserved') {
      outcome = 'reserved';
      const got = (s.payload as { lines?: Array<ReservationView['lines'][number]> }).lines;
      if (Array.isArray(got)) lines = got.map((l) => ({ ...l, reservation_id: l.reservation_id ?? null }));
    } else if (s.type === 'stock.rejected') {
      if (outcome !== 'reserved') outcome = 'rejected';
      shortLines = (s.payload as { short_lines?: unknown[] }).short_lines ?? [];
    } else if (s.type === 'stock.released') outcome = 'released';
    else if (s.type === 'stock.confirmed') outcome = 'confirmed';
  }
  return { outcome, lines, short_lines: shortLines, source: 'saga_log' };
}

export class SagaAdmin<Order = unknown> {
  constructor(
    private readonly store: SagaAdminStore<Order>,
    private readonly saga: SagaCoordinator,
    private readonly clock: Clock,
    private readonly payments: PaymentLookupPort | null,
    private readonly traceUrlTemplate?: string,
  ) {}

  list(filters: SagaListFilters): Promise<SagaListResult> {
    return this.store.list(filters, this.clock.now());
  }

  async detail(orderId: string): Promise<SagaDetail<Order>> {
    const [order, saga, steps, actions] = await Promise.all([
      this.store.order(orderId),
      this.store.saga(orderId),
      this.store.steps(orderId),
      this.store.actions(orderId),
    ]);
    if (!order || !saga) throw orderNotFound(orderId);
    let payment: PaymentView | null = null;
    let service: 'ok' | 'unavailable' = this.payments ? 'ok' : 'unavailable';
    if (this.payments) {
      try {
        payment = await this.payments.paymentOf(orderId);
      } catch {
        // The page still shows everything the order service knows.
        service = 'unavailable';
      }
    }
    return {
      order,
      saga,
      steps,
      actions,
      reservations: reservationsFromLog(steps),
      payment,
      payment_service: service,
      trace_url: traceUrl(this.traceUrlTemplate, saga.trace_id),
    };
  }

  /**
   * One operator action. A repeat with the same idempotency key returns the first outcome and
   * changes nothing; the order row lock serialises concurrent submits, so a double click acts once.
   */
  async act(user: AuthUser, orderId: string, input: ActionInput): Promise<ActionOutcome> {
    let changed: Awaited<ReturnType<SagaCoordinator['applyLocked']>>;
    const by = { id: user.id, role: 'admin' as const };
    const outcome = await this.store.run(async (tx): Promise<ActionOutcome> => {
      const locked = await tx.lockSaga(orderId);
      if (!locked) throw orderNotFound(orderId);
      const previous = await tx.findAction(orderId, input.idempotencyKey);
      if (previous) {
        if (previous.action !== input.action) {
          throw conflict('IDEMPOTENCY_KEY_REUSED', `idempotency key already used for a ${previous.action} of order ${orderId}`, {
            order_id: orderId,
            action: previous.action,
          });
        }
        return { order_id: orderId, action: input.action, replayed: true, record: previous };
      }
      const { saga, order } = locked;
      const t = this.saga.timings();
      const reason = input.note.trim() || 'admin_compensated';
      let d: AdminDecision;
      if (input.action === 'retry') d = retryDecision(orderId, saga, t, user.id);
      else if (input.action === 'compensate') d = compensateDecision(orderId, saga, order.status, reason, t, user.id);
      else d = resolveDecision(orderId, saga, input.note, user.id);
      await tx.appendAdminLog(orderId, d.adminLog);
      await this.saga.persist(tx, order, d.decision, by, input.note.trim() || undefined);
      changed = d.decision.order?.to;
      const record = await tx.recordAction(orderId, {
        action: input.action,
        idempotency_key: input.idempotencyKey,
        actor_id: user.id,
        actor_role: user.role,
        note: input.note,
        state_before: saga.state,
        step_before: saga.currentStep,
        state_after: d.decision.saga.state,
      });
      return { order_id: orderId, action: input.action, replayed: false, record };
    });
    if (changed) this.saga.notifyOrderChanged(orderId, changed);
    return outcome;
  }
}
