import { createEnvelope } from '@sudamall/shared';
import type { ReservationStore } from '../infra/reservation-store';

/** The sweeper: gives back the stock of reservations nobody confirmed or released in time. */
export class ReleaseExpiredReservations {
  constructor(private readonly store: ReservationStore) {}

  /** How many orders it released (up to `limit` per run; the next run takes the rest). */
  async execute(limit = 100): Promise<number> {
    const orders = await this.store.expiredOrders(limit);
    let released = 0;
    for (const orderId of orders) {
      const event = createEnvelope('stock.released', orderId, { order_id: orderId, reason: 'expired' });
      const r = await this.store.release(orderId, event, { expiredOnly: true });
      if (r.status === 'released') released++;
    }
    return released;
  }
}
