import type { OrderStore, SagaRecord } from '../infra/order-store';
import type { Clock } from './ports';

export interface SagaPage {
  items: SagaRecord[];
  total: number;
  /** Every saga by state, and how many are stuck (not only this page's). */
  counts: Record<string, number>;
  stuckCount: number;
  /** When it was read (ages are counted from it). */
  at: Date;
}

/** Checkout sagas by state, stuck or older than a given age, newest first (admins). */
export class ListSagas {
  constructor(
    private readonly store: OrderStore,
    private readonly clock: Clock,
  ) {}

  async execute(filter: { state?: string; stuck?: boolean; olderThanSeconds?: number; page: number; pageSize: number }): Promise<SagaPage> {
    const at = this.clock.now();
    return { ...(await this.store.listSagas({ ...filter, now: at })), at };
  }
}
