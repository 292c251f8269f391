// The JSON shapes of order's REST answers, in one place: what a route sends is built here from
// what its use case returned (the documents in routes/*/schemas.ts describe the same shapes).
import type { AuthUser, ShortLine } from '@sudamall/shared';
import type { PaymentCheck } from '../app/check-payment';
import type { OrderRead } from '../app/get-order';
import type { OrderPageRead } from '../app/list-orders';
import type { SagaPage } from '../app/list-sagas';
import type { PaymentSummary } from '../app/payment-summary';
import type { AddressSnapshot, ProfileFields } from '../domain/address';
import type { FulfillmentStatus } from '../domain/fulfillment';
import { storeViewOf } from '../domain/order-listing';
import type { OrderStatus } from '../domain/order-status';
import type { PaymentWindowState } from '../domain/payment-deadline';
import type { AdjustmentKind } from '../saga/adjustment.saga';
import type { AdjustmentRecord, OrderDetailRecord, OrderRecord, SagaRecord } from '../infra/order-store';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export interface PaymentWindowJson {
  order_id: string;
  status: OrderStatus;
  expires_at: string | null;
  seconds_remaining: number;
  expired: boolean;
}

/** GET orders/payment-status/{id}/: the buyer's countdown. */
export function presentPaymentWindow(order: { id: string; status: OrderStatus }, window: PaymentWindowState): PaymentWindowJson {
  return {
    order_id: order.id,
    status: order.status,
    expires_at: iso(window.expiresAt),
    seconds_remaining: window.secondsRemaining,
    expired: window.expired,
  };
}

/** GET orders/check-payment/{id}/: the order's status beside the payment service's view. */
export function presentPaymentCheck(check: PaymentCheck) {
  const { order, window, payment } = check;
  return {
    order_id: order.id,
    order_status: order.status,
    total_amount: order.totalAmount,
    payment_expires_at: iso(window.expiresAt),
    seconds_remaining: window.secondsRemaining,
    expired: window.expired,
    paid: check.paid,
    payment_service: check.paymentService,
    payment: payment
      ? {
          payment_id: payment.paymentId,
          status: payment.status,
          amount: payment.amount,
          gateway_fee: payment.gatewayFee,
          total_amount: payment.totalAmount,
          refunded_amount: payment.refundedAmount,
          gateway: payment.gateway,
        }
      : null,
  };
}

/** GET|PUT accounts/profile/: who the token says (id, email, role) and what the platform keeps (name, phone). */
export function presentProfile(user: AuthUser, profile: ProfileFields) {
  return { id: user.id, email: user.email ?? null, role: user.role, name: profile.name, phone: profile.phone };
}

export interface OrderItemView {
  item_id: string;
  product_id: string;
  product_name: string;
  size: string | null;
  quantity: number;
  price: string;
  subtotal: string;
  store_id: string;
  snapshot_id: string;
  product_snapshot: unknown;
}

export interface FulfillmentView {
  store_id: string;
  status: FulfillmentStatus;
  /** The item_ids of the store's lines. */
  items: string[];
  subtotal: string;
  tracking_number: string | null;
  shipped_at: string | null;
  delivered_at: string | null;
  cancelled_at: string | null;
  /** Cash on delivery: when the store took its part's cash, and how much. */
  collected_at: string | null;
  collected_amount: string | null;
}

/** The order's latest cancellation after payment (refund, then restock), shown until and after it is done. */
export interface CancellationView {
  cancellation_id: string;
  /** refunding → restocking → completed */
  status: 'refunding' | 'restocking' | 'completed';
  /** The store whose part it cancels; null for the whole order. */
  store_id: string | null;
  refund_amount: string | null;
  refunded_amount: string | null;
  reason: string;
  stuck: boolean;
  last_error: string | null;
  created_at: string;
  completed_at: string | null;
}

/** A return of delivered items: requested → (approved) refunding → restocking → completed, or rejected. */
export interface ReturnView {
  return_id: string;
  order_id: string;
  store_id: string;
  status: 'requested' | 'refunding' | 'restocking' | 'completed' | 'rejected';
  items: Array<{ item_id: string; quantity: number }>;
  reason: string;
  restock: boolean;
  /** The returned lines plus their share of the fee; null until approved. */
  refund_amount: string | null;
  refunded_amount: string | null;
  /** Why it was rejected. */
  decision_reason: string | null;
  stuck: boolean;
  last_error: string | null;
  created_at: string;
  completed_at: string | null;
}

export interface OrderView {
  order_id: string;
  user_id: string;
  status: OrderStatus;
  total_amount: string;
  shipping_address: string;
  /** The saved address the order was placed with, as it was then (null for a typed shipping_address). */
  shipping_address_snapshot: AddressSnapshot | null;
  notes: string;
  store_ids: string[];
  payment_expires_at: string | null;
  cancel_reason: string | null;
  short_lines: ShortLine[];
  created_at: string;
  updated_at: string;
  items: OrderItemView[];
  fulfillments: FulfillmentView[];
  cancellation: CancellationView | null;
}

export interface OrderDetailView extends OrderView {
  status_history: Array<{
    from_status: OrderStatus | null;
    to_status: OrderStatus;
    changed_by: string;
    actor_role: string;
    reason: string | null;
    notes: string | null;
    created_at: string;
  }>;
  saga: {
    state: string;
    step: string;
    attempts: number;
    stuck: boolean;
    last_error: string | null;
    deadline_at: string | null;
    next_retry_at: string | null;
    updated_at: string;
  } | null;
}

/** An order as every REST answer (and gRPC's Order) shows it. */
export function presentOrder(o: OrderRecord): OrderView {
  return {
    order_id: o.id,
    user_id: o.userId,
    status: o.status,
    total_amount: o.totalAmount.toFixed(2),
    shipping_address: o.shippingAddress,
    shipping_address_snapshot: (o.shippingAddressSnapshot as AddressSnapshot | null) ?? null,
    notes: o.notes,
    store_ids: o.storeIds,
    payment_expires_at: iso(o.paymentExpiresAt),
    cancel_reason: o.cancelReason,
    short_lines: (o.shortLines as ShortLine[] | null) ?? [],
    created_at: o.createdAt.toISOString(),
    updated_at: o.updatedAt.toISOString(),
    items: o.items.map((it) => ({
      item_id: it.id,
      product_id: it.productId,
      product_name: it.productName,
      size: it.size,
      quantity: it.quantity,
      price: it.price.toFixed(2),
      subtotal: it.price.times(it.quantity).toFixed(2),
      store_id: it.storeId,
      snapshot_id: it.snapshotId,
      product_snapshot: it.productSnapshot,
    })),
    fulfillments: o.fulfillments.map((f) => ({
      store_id: f.storeId,
      status: f.status,
      items: o.items.filter((it) => it.storeId === f.storeId).map((it) => it.id),
      subtotal: f.subtotal.toFixed(2),
      tracking_number: f.trackingNumber,
      shipped_at: iso(f.shippedAt),
      delivered_at: iso(f.deliveredAt),
      cancelled_at: iso(f.cancelledAt),
      collected_at: iso(f.collectedAt),
      collected_amount: f.collectedAmount === null ? null : f.collectedAmount.toFixed(2),
    })),
    cancellation: presentCancellation(o.cancellation),
  };
}

function presentCancellation(a: AdjustmentRecord | null): CancellationView | null {
  if (!a) return null;
  return {
    cancellation_id: a.id,
    status: a.status as CancellationView['status'],
    store_id: a.storeId,
    refund_amount: a.refundAmount === null ? null : a.refundAmount.toFixed(2),
    refunded_amount: a.refundedAmount === null ? null : a.refundedAmount.toFixed(2),
    reason: a.reason,
    stuck: a.stuck,
    last_error: a.lastError,
    created_at: a.createdAt.toISOString(),
    completed_at: iso(a.completedAt),
  };
}

export function presentOrderDetail(o: OrderDetailRecord): OrderDetailView {
  return {
    ...presentOrder(o),
    status_history: o.history.map((h) => ({
      from_status: h.fromStatus ?? null,
      to_status: h.toStatus,
      changed_by: h.changedBy,
      actor_role: h.actorRole,
      reason: h.reason,
      notes: h.notes,
      created_at: h.createdAt.toISOString(),
    })),
    saga: o.saga
      ? {
          state: o.saga.state,
          step: o.saga.currentStep,
          attempts: o.saga.attempts,
          stuck: o.saga.stuck,
          last_error: o.saga.lastError,
          deadline_at: iso(o.saga.deadlineAt),
          next_retry_at: iso(o.saga.nextRetryAt),
          updated_at: o.saga.updatedAt.toISOString(),
        }
      : null,
  };
}

/** A seller is shown their store's part only (domain/order-listing.ts), with how the buyer pays. */
function asSeenBy<V extends OrderView>(
  view: V,
  storeId: string | null,
  payment: PaymentSummary | null | undefined,
): V | (V & { payment: PaymentSummary | null }) {
  return storeId === null ? view : { ...storeViewOf(view, storeId), payment: payment ?? null };
}

/** GET orders/{id}/ and every answer that carries the order. */
export function presentOrderRead(r: OrderRead) {
  return asSeenBy(presentOrderDetail(r.order), r.storeId, r.payment);
}

/** GET orders/ and accounts/order-history/ (without page and page_size, which the route adds). */
export function presentOrderPage(p: OrderPageRead) {
  return { items: p.items.map((i) => asSeenBy(presentOrder(i.order), p.storeId, i.payment)), total: p.total };
}

export function presentReturn(a: AdjustmentRecord): ReturnView {
  return {
    return_id: a.id,
    order_id: a.orderId,
    store_id: a.storeId ?? '',
    status: a.status as ReturnView['status'],
    items: (a.lines as Array<{ line_id: string; quantity: number }>).map((l) => ({ item_id: l.line_id, quantity: l.quantity })),
    reason: a.reason,
    restock: a.restock,
    refund_amount: a.refundAmount === null ? null : a.refundAmount.toFixed(2),
    refunded_amount: a.refundedAmount === null ? null : a.refundedAmount.toFixed(2),
    decision_reason: a.decisionReason,
    stuck: a.stuck,
    last_error: a.lastError,
    created_at: a.createdAt.toISOString(),
    completed_at: iso(a.completedAt),
  };
}

/** GET orders/admin/adjustments/: a cancellation after payment or a return, for operators. */
export function presentAdjustment(a: AdjustmentRecord) {
  return {
    adjustment_id: a.id,
    order_id: a.orderId,
    kind: a.kind as AdjustmentKind,
    store_id: a.storeId,
    status: a.status,
    reason: a.reason,
    refund_amount: a.refundAmount === null ? null : a.refundAmount.toFixed(2),
    refunded_amount: a.refundedAmount === null ? null : a.refundedAmount.toFixed(2),
    attempts: a.attempts,
    stuck: a.stuck,
    last_error: a.lastError,
    next_retry_at: iso(a.nextRetryAt),
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  };
}

function presentSaga(s: SagaRecord, now: Date) {
  return {
    order_id: s.orderId,
    state: s.state,
    step: s.currentStep,
    attempts: s.attempts,
    stuck: s.stuck,
    last_error: s.lastError,
    trace_id: s.traceId,
    deadline_at: iso(s.deadlineAt),
    next_retry_at: iso(s.nextRetryAt),
    age_seconds: Math.max(0, Math.floor((now.getTime() - s.createdAt.getTime()) / 1000)),
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  };
}

/** GET orders/admin/sagas/ (without page and page_size, which the route adds). */
export function presentSagaPage(p: SagaPage) {
  return { items: p.items.map((s) => presentSaga(s, p.at)), total: p.total, counts: p.counts, stuck_count: p.stuckCount };
}
