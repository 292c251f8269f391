import { createEnvelope, Topics, type Envelope, type TopicName } from '@sudamall/shared';
import { orderStatusFromFulfillments, type FulfillmentStatus } from '../domain/fulfillment';
import { transition, type OrderStatus } from '../domain/order-status';
import type { ActorRef, CheckoutTx, FulfillmentMove, OrderHead } from './ports';

/** What the order tells others when its status changes: order.status_changed, and order.cancelled when it is. */
export function statusChangedEvents(
  order: OrderHead,
  to: OrderStatus,
  reason: string | null,
  paymentExpiresAt = order.paymentExpiresAt,
): Array<{ topic: TopicName; envelope: Envelope }> {
  const events: Array<{ topic: TopicName; envelope: Envelope }> = [
    {
      topic: Topics.orderEvents,
      envelope: createEnvelope('order.status_changed', order.id, {
        order_id: order.id,
        user_id: order.userId,
        from: order.status,
        to,
        reason,
        payment_expires_at: paymentExpiresAt ? paymentExpiresAt.toISOString() : null,
        store_ids: order.storeIds,
      }),
    },
  ];
  if (to === 'cancelled') {
    events.push({
      topic: Topics.orderEvents,
      envelope: createEnvelope('order.cancelled', order.id, {
        order_id: order.id,
        user_id: order.userId,
        reason: reason ?? 'cancelled',
        store_ids: order.storeIds,
      }),
    });
  }
  return events;
}

/**
 * After its fulfilments moved, a paid order takes the status they give it (through the order's
 * transition table, by whoever moved them), with its history row and events. Returns the new
 * status when it changed.
 */
export async function orderFollowsFulfillments(
  tx: CheckoutTx,
  order: OrderHead,
  statuses: readonly FulfillmentStatus[],
  by: ActorRef,
  opts: { reason?: string | null; notes?: string } = {},
): Promise<OrderStatus | undefined> {
  const next = orderStatusFromFulfillments(statuses);
  if (!next || next === order.status) return undefined;
  const reason = next === 'cancelled' ? (opts.reason ?? 'cancelled') : null;
  transition(order.status, next, by.role, reason);
  await tx.changeOrderStatus(order.id, order.status, { to: next, ...(reason ? { reason } : {}) }, by, opts.notes);
  for (const e of statusChangedEvents(order, next, reason)) await tx.enqueue(e.topic, e.envelope);
  return next;
}

/** Moves fulfilments by hand (a seller, an admin, a completed cancellation) and tells their stores (order.fulfillment_changed). */
export async function moveFulfillments(tx: CheckoutTx, order: OrderHead, moves: FulfillmentMove[], by: ActorRef, notes?: string): Promise<void> {
  await tx.moveFulfillments(order.id, moves, by, notes);
  for (const m of moves) {
    await tx.enqueue(
      Topics.orderEvents,
      createEnvelope('order.fulfillment_changed', order.id, {
        order_id: order.id,
        user_id: order.userId,
        store_id: m.storeId,
        from: m.from,
        to: m.to,
        reason: m.reason ?? null,
      }),
    );
  }
}
