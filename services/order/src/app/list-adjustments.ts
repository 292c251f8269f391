import type { AdjustmentRecord, OrderStore } from '../infra/order-store';

/** Cancellations after payment and returns for operators: stuck, open, of a kind, or one by id; newest first. */
export class ListAdjustments {
  constructor(private readonly store: OrderStore) {}

  execute(filter: {
    id?: string;
    stuck?: boolean;
    open?: boolean;
    kind?: string;
    page: number;
    pageSize: number;
  }): Promise<{ items: AdjustmentRecord[]; total: number }> {
    return this.store.listAdjustments(filter);
  }
}
