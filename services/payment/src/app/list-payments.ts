import type { Actor } from './deps';
import type { PaymentFilter, PaymentStore } from './ports';
import type { Page, PaymentRecord } from './records';

/** Every payment (admins), filtered and sorted. */
export class ListPayments {
  constructor(private readonly payments: PaymentStore) {}

  execute(page: number, pageSize: number, filter: PaymentFilter): Promise<Page<PaymentRecord>> {
    return this.payments.listPayments(page, pageSize, filter);
  }
}

/** A buyer's own payments. */
export class ListMyPayments {
  constructor(private readonly payments: PaymentStore) {}

  execute(actor: Actor, page: number, pageSize: number, filter: Omit<PaymentFilter, 'userId'>): Promise<Page<PaymentRecord>> {
    return this.payments.listPayments(page, pageSize, { ...filter, userId: actor.id });
  }
}
