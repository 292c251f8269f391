import { conflict, forbidden } from '@sudamall/shared';
import type { Actor, OrderStatus } from './order-status';

/**
 * A fulfilment is one store's part of an order: its lines, shipped and delivered by that store.
 * It waits (`pending`) while the order is unpaid; the saga moves it on with the order (paid →
 * processing, cancelled before payment → cancelled); from there its store's sellers move it.
 */
export const FULFILLMENT_STATUSES = ['pending', 'processing', 'shipped', 'delivered', 'cancelled'] as const;
export type FulfillmentStatus = (typeof FULFILLMENT_STATUSES)[number];

interface FulfillmentTransition {
  from: FulfillmentStatus;
  to: FulfillmentStatus;
  by: readonly Actor[];
}

/** Every fulfilment move goes through this table; anything not listed is refused. */
export const FULFILLMENT_TRANSITIONS: readonly FulfillmentTransition[] = [
  { from: 'pending', to: 'processing', by: ['system'] },
  { from: 'pending', to: 'cancelled', by: ['system'] },
  { from: 'processing', to: 'shipped', by: ['seller', 'admin'] },
  { from: 'shipped', to: 'delivered', by: ['seller', 'admin'] },
  // Cancelled after payment once its cancellation is refunded and restocked (domain/cancellation.ts
  // says who may ask for it when), never by a status update.
  { from: 'processing', to: 'cancelled', by: ['buyer', 'seller', 'admin'] },
  // A seller's shipped part: a cash-on-delivery buyer refused it at the door.
  { from: 'shipped', to: 'cancelled', by: ['seller', 'admin'] },
];

const findTransition = (from: string, to: string) => FULFILLMENT_TRANSITIONS.find((t) => t.from === from && t.to === to);

/**
 * The one way a fulfilment's status changes: `to` when the table allows it, else refused: a move
 * not in the table (409 INVALID_STATUS_TRANSITION) or one the actor may not make (403
 * STATUS_CHANGE_FORBIDDEN), naming the store whose fulfilment it is. The stores write what it returns.
 */
export function transitionFulfillment(storeId: string, from: FulfillmentStatus, to: string, actor: Actor): FulfillmentStatus {
  const t = findTransition(from, to);
  if (!t) {
    throw conflict('INVALID_STATUS_TRANSITION', `store ${storeId}'s part of the order cannot go from ${from} to ${to}`, {
      store_id: storeId,
      from,
      to,
      allowed: FULFILLMENT_TRANSITIONS.filter((x) => x.from === from && x.by.includes(actor)).map((x) => x.to),
    });
  }
  if (!t.by.includes(actor)) {
    throw forbidden('STATUS_CHANGE_FORBIDDEN', `a ${actor} cannot move store ${storeId}'s part of the order from ${from} to ${to}`, {
      store_id: storeId,
      from,
      to,
    });
  }
  return t.to;
}

/**
 * What the saga's move of an unpaid order does to its fulfilments (paid → processing, cancelled →
 * cancelled): the status they take and, from the table, the statuses the system may move them
 * from (a bulk update writes exactly these). null when the order's move leaves them alone.
 */
export function fulfillmentsFollowOrder(to: OrderStatus): { to: FulfillmentStatus; from: FulfillmentStatus[] } | null {
  const target: FulfillmentStatus | null = to === 'processing' ? 'processing' : to === 'cancelled' ? 'cancelled' : null;
  if (!target) return null;
  return { to: target, from: FULFILLMENT_TRANSITIONS.filter((t) => t.to === target && t.by.includes('system')).map((t) => t.from) };
}

export interface FulfillmentState {
  storeId: string;
  status: FulfillmentStatus;
}

/** Who moves fulfilments by hand: a seller their own store's, an admin every one that can move. */
export type FulfillmentMover = { role: 'seller'; storeId: string } | { role: 'admin' };

/**
 * The fulfilments one status request moves. A seller's is their store's alone; an admin's every
 * fulfilment for which the move is allowed (at least one, else the first open one's refusal).
 */
export function fulfillmentsToMove<F extends FulfillmentState>(fulfillments: readonly F[], to: string, mover: FulfillmentMover): F[] {
  if (mover.role === 'seller') {
    const own = fulfillments.find((f) => f.storeId === mover.storeId);
    if (!own) throw forbidden('FORBIDDEN', `store ${mover.storeId} has no part in this order`, { store_id: mover.storeId });
    transitionFulfillment(own.storeId, own.status, to, 'seller');
    return [own];
  }
  const movable = fulfillments.filter((f) => findTransition(f.status, to)?.by.includes('admin'));
  if (movable.length === 0) {
    const first = fulfillments.find((f) => f.status !== 'cancelled') ?? fulfillments[0];
    if (!first) throw conflict('INVALID_STATUS_TRANSITION', 'the order has no fulfilment to move', { to });
    transitionFulfillment(first.storeId, first.status, to, 'admin');
  }
  return movable;
}

/**
 * The status a paid order has given its fulfilments: `cancelled` once all are, `delivered` once
 * every one not cancelled is delivered, `shipped` once each is shipped or delivered, else
 * `processing`. null while one still waits for payment (the saga moves the order then).
 */
export function orderStatusFromFulfillments(statuses: readonly FulfillmentStatus[]): OrderStatus | null {
  const open = statuses.filter((s) => s !== 'cancelled');
  if (statuses.length > 0 && open.length === 0) return 'cancelled';
  if (open.length === 0 || open.includes('pending')) return null;
  if (open.every((s) => s === 'delivered')) return 'delivered';
  if (open.every((s) => s === 'shipped' || s === 'delivered')) return 'shipped';
  return 'processing';
}
