import { conflict, forbidden, invalid } from '@sudamall/shared';

export const ORDER_STATUSES = ['pending', 'under_paying', 'processing', 'shipped', 'delivered', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * Who asks for a transition. `system` is the saga and its timers; people act through REST with
 * their role (a seller only for orders that contain an item of their store, checked by the caller).
 */
export type Actor = 'system' | 'buyer' | 'seller' | 'admin';

interface Transition {
  from: OrderStatus;
  to: OrderStatus;
  /** Who may make it. Saga-driven moves are system-only: paying and confirming stock cannot be faked by hand. */
  by: readonly Actor[];
  /** Cancellations must say why. */
  needsReason?: boolean;
}

/** The order lifecycle. Every status change goes through `transition`; anything not listed is refused. */
export const TRANSITIONS: readonly Transition[] = [
  { from: 'pending', to: 'under_paying', by: ['system'] },
  { from: 'pending', to: 'cancelled', by: ['system', 'buyer', 'seller', 'admin'], needsReason: true },
  { from: 'under_paying', to: 'processing', by: ['system'] },
  { from: 'under_paying', to: 'cancelled', by: ['system', 'buyer', 'seller', 'admin'], needsReason: true },
  { from: 'processing', to: 'shipped', by: ['seller', 'admin'] },
  { from: 'shipped', to: 'delivered', by: ['seller', 'admin'] },
  // After payment the order follows its fulfilments (domain/fulfillment.ts): a cancellation that
  // completed (refunded, restocked) may leave it cancelled, or leave only parts already shipped or
  // delivered. Who may cancel which part when is domain/cancellation.ts's rule.
  { from: 'processing', to: 'cancelled', by: ['buyer', 'seller', 'admin'], needsReason: true },
  { from: 'shipped', to: 'cancelled', by: ['seller', 'admin'], needsReason: true },
  { from: 'processing', to: 'delivered', by: ['seller', 'admin'] },
];

export function isOrderStatus(s: string): s is OrderStatus {
  return (ORDER_STATUSES as readonly string[]).includes(s);
}

export function findTransition(from: OrderStatus, to: OrderStatus): Transition | undefined {
  return TRANSITIONS.find((t) => t.from === from && t.to === to);
}

export function canTransition(from: OrderStatus, to: OrderStatus, actor: Actor): boolean {
  return findTransition(from, to)?.by.includes(actor) ?? false;
}

/**
 * The one way an order's status changes: `to` when the table allows it, else refused: a move not
 * in the table (409 INVALID_STATUS_TRANSITION), one the actor may not make (403
 * STATUS_CHANGE_FORBIDDEN), a cancellation without a reason. The rules call it to decide, and the
 * stores write what it returns.
 */
export function transition(from: OrderStatus, to: OrderStatus, actor: Actor, reason?: string | null): OrderStatus {
  const t = findTransition(from, to);
  if (!t) {
    throw conflict('INVALID_STATUS_TRANSITION', `an order cannot go from ${from} to ${to}`, {
      from,
      to,
      allowed: TRANSITIONS.filter((x) => x.from === from).map((x) => x.to),
    });
  }
  if (!t.by.includes(actor)) {
    throw forbidden('STATUS_CHANGE_FORBIDDEN', `a ${actor} cannot move an order from ${from} to ${to}`, { from, to });
  }
  if (t.needsReason && !reason) {
    throw invalid('REASON_REQUIRED', `moving an order to ${to} needs a reason`, { from, to });
  }
  return to;
}

/**
 * Paid and not yet delivered: the checkout saga is done, so a cancellation is a saga of its own
 * (refund, restock). A delivered order is not cancelled (it is returned); the checkout saga says so.
 */
export const isPaid = (status: OrderStatus): boolean => status === 'processing' || status === 'shipped';

/** Statuses after which nothing but shipping and delivery can happen. */
export const TERMINAL_STATUSES: readonly OrderStatus[] = ['delivered', 'cancelled'];
