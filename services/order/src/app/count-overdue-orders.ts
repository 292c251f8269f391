import type { OrderStore } from '../infra/order-store';
import type { Clock } from './ports';

/** How many orders are past their payment window and not yet cancelled by the sweeper (admins). */
export class CountOverdueOrders {
  constructor(
    private readonly store: OrderStore,
    private readonly clock: Clock,
  ) {}

  execute(): Promise<number> {
    return this.store.countOverdue(this.clock.now());
  }
}
