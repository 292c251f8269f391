import { createEnvelope, Topics, type Envelope, type TopicName } from '@sudamall/shared';
import type { OrderStatus } from '../domain/order-status';
import type { OrderHead } from './ports';

/** What the order tells others when its status changes: order.status_changed, and order.cancelled when it is. */
export function statusChangedEvents(order: OrderHead, to: OrderStatus, reason: string | null, paymentExpiresAt = order.paymentExpiresAt): Array<{ topic: TopicName; envelope: Envelope }> {
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
      }),
    },
  ];
  if (to === 'cancelled') {
    events.push({ topic: Topics.orderEvents, envelope: createEnvelope('order.cancelled', order.id, { order_id: order.id, user_id: order.userId, reason: reason ?? 'cancelled' }) });
  }
  return events;
}
