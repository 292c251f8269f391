import { createEnvelope } from '@sudamall/shared';
import { assertOrderId } from '../domain/reservation';
import type { ConfirmStatus, ReservationStore, TransitionResult } from '../infra/reservation-store';
import type { CallOptions } from './reservation-engine';

/** reserved → sold for every line of the order. Idempotent: a repeat reports already_confirmed. */
export class ConfirmReservation {
  constructor(private readonly store: ReservationStore) {}

  async execute(orderId: string, opts: CallOptions = {}): Promise<TransitionResult<ConfirmStatus>> {
    assertOrderId(orderId);
    const event = createEnvelope('stock.confirmed', orderId, { order_id: orderId });
    const result = await this.store.confirm(orderId, event, opts);
    // A redelivered message was answered when it was first processed.
    if (!result.redelivered && (result.status === 'already_released' || result.status === 'not_found')) {
      // Nothing is held any more to sell (expired or released first): answer so, or the saga
      // would keep re-sending the confirmation until flagged stuck instead of refunding the
      // buyer and cancelling.
      const code = result.status === 'not_found' ? 'RESERVATION_NOT_FOUND' : 'RESERVATION_RELEASED';
      await this.store.appendEvents([createEnvelope('stock.rejected', orderId, { order_id: orderId, code, short_lines: [] })]);
    }
    return result;
  }
}
