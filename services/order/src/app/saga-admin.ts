import type { SagaCommand } from '../saga/saga-types';
import type { AdminAction, AdminLogEntry } from './saga-actions';
import type { CheckoutTx } from './ports';

// What the saga dashboard's use cases share: its read model, its store port, and the rules that
// read the saga's log. The use cases: list-dashboard-sagas.ts, get-saga-detail.ts, act-on-saga.ts.

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
