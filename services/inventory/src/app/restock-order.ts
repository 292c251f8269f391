import { createEnvelope } from '@sudamall/shared';
import { assertOrderId } from '../domain/reservation';
import type { ReleaseStatus, ReservationStore, TransitionResult } from '../infra/reservation-store';
import type { CallOptions } from './reservation-engine';

/**
 * reserved or sold → available for every line of the order: the saga's compensation of a
 * confirmation that may have landed (an operator unwinding a paid order). Idempotent: each
 * line comes back once; a repeat reports already_released.
 */
export class RestockOrder {
  constructor(private readonly store: ReservationStore) {}

  async execute(orderId: string, reason: string, opts: CallOptions = {}): Promise<TransitionResult<ReleaseStatus> & { restocked: number }> {
    assertOrderId(orderId);
    const event = createEnvelope('stock.released', orderId, { order_id: orderId, reason });
    return this.store.restock(orderId, event, opts);
  }
}
