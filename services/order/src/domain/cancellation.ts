import { conflict } from '@sudamall/shared';
import type { FulfillmentState } from './fulfillment';

/**
 * Who asks to cancel a paid order, and for a seller, which store they run; `refusedDelivery`: the
 * buyer refused a cash-on-delivery part at the door (shipped, never paid for).
 */
export type Canceller = { role: 'buyer' } | { role: 'seller'; storeId: string; refusedDelivery?: boolean } | { role: 'admin' };

export interface CancellationScope {
  /** The fulfilments it cancels. */
  storeIds: string[];
  /** Every fulfilment still open goes: the refund is everything left of the payment (the fee included). */
  wholeOrder: boolean;
}

const refuse = (message: string, details: Record<string, unknown>) => conflict('CANCELLATION_NOT_ALLOWED', message, details);

/**
 * What a cancellation after payment takes: a buyer's the whole order while none of it has
 * shipped; an admin's the whole order while none of it is delivered; a seller's only their own
 * store's part while it is still processing (out of stock after all, say), or while it is shipped
 * when its cash-on-delivery buyer refused it at the door.
 */
export function cancellationScope(fulfillments: readonly FulfillmentState[], who: Canceller): CancellationScope {
  const open = fulfillments.filter((f) => f.status !== 'cancelled');
  if (who.role === 'seller') {
    const own = fulfillments.find((f) => f.storeId === who.storeId);
    const cancellable = who.refusedDelivery ? own?.status === 'shipped' : own?.status === 'processing';
    if (!own || !cancellable) {
      const when = who.refusedDelivery
        ? 'a delivery is refused only while it is shipped'
        : `store ${who.storeId}'s part can be cancelled only while it is processing`;
      throw refuse(when, { store_id: who.storeId, status: own?.status ?? null });
    }
    return { storeIds: [own.storeId], wholeOrder: open.length === 1 };
  }
  if (open.length === 0) throw refuse('every part of the order is cancelled already', {});
  const blocking = who.role === 'buyer' ? open.find((f) => f.status !== 'processing') : open.find((f) => f.status === 'delivered');
  if (blocking) {
    const when = who.role === 'buyer' ? 'nothing of it has shipped' : 'nothing of it is delivered';
    throw refuse(`the order can be cancelled only while ${when}`, { store_id: blocking.storeId, status: blocking.status });
  }
  return { storeIds: open.map((f) => f.storeId), wholeOrder: true };
}
