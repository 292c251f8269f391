import { createEnvelope } from '@sudamall/shared';
import { assertOrderId } from '../domain/reservation';
import type { ReleaseStatus, ReservationStore, TransitionResult } from '../infra/reservation-store';
import type { CallOptions } from './reservation-engine';

/** reserved → available for every line of the order. Idempotent: a repeat reports already_released. */
export class ReleaseReservation {
  constructor(private readonly store: ReservationStore) {}

  async execute(orderId: string, reason: string, opts: CallOptions = {}): Promise<TransitionResult<ReleaseStatus>> {
    assertOrderId(orderId);
    const event = createEnvelope('stock.released', orderId, { order_id: orderId, reason });
    return this.store.release(orderId, event, opts);
  }
}
