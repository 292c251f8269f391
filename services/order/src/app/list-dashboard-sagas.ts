import type { Clock } from './ports';
import type { SagaAdminStore, SagaListFilters, SagaListResult } from './saga-admin';

/** The saga dashboard's list: sagas by state, stuck, older than an age, of an order or a user; newest first. */
export class ListDashboardSagas {
  constructor(
    private readonly store: SagaAdminStore,
    private readonly clock: Clock,
  ) {}

  execute(filters: SagaListFilters): Promise<SagaListResult> {
    return this.store.list(filters, this.clock.now());
  }
}
