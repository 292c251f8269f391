import { createEnvelope, invalid, type StockRestockedEvent } from '@sudamall/shared';
import { planRestock, validateRestockCommand } from '../domain/restock';
import type { ReservationStore } from '../infra/reservation-store';
import type { CallOptions } from './reservation-engine';

/**
 * inventory.restock: gives back units the order sold on some of its lines (a store's part
 * cancelled after payment, a returned line), at most what each line still holds sold
 * (domain/restock.ts), in one transaction under the order's row locks. Applied once per
 * restock_id: a re-send changes nothing and returns (with announceRepeat, publishes) the
 * stored answer. Needs no Redis lock: it never takes from `available`.
 */
export class RestockLines {
  constructor(private readonly store: ReservationStore) {}

  async execute(input: { order_id?: unknown; restock_id?: unknown; reason?: unknown; lines?: unknown }, opts: CallOptions = {}): Promise<StockRestockedEvent> {
    const request = validateRestockCommand(input);
    return this.store.restockLines(request.order_id, async (tx) => {
      const { prior, lines } = await tx.read(request.order_id, request.restock_id);
      if (prior) {
        if (prior.order_id !== request.order_id) {
          throw invalid('RESTOCK_ID_CONFLICT', `restock_id ${request.restock_id} was applied to another order`);
        }
        const again = opts.announceRepeat ? createEnvelope('stock.restocked', request.order_id, prior.result) : undefined;
        await tx.repeat(again, opts.inbox);
        return prior.result;
      }
      const plan = planRestock(request, lines);
      await tx.apply(request, plan, createEnvelope('stock.restocked', request.order_id, plan.result), opts.inbox);
      return plan.result;
    });
  }
}
