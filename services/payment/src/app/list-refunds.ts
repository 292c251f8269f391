import { notFound } from '@sudamall/shared';
import type { RefundFilter, RefundStore } from './ports';
import type { Page, RefundRecord } from './records';

/** Refunds (admins), filtered and sorted. */
export class ListRefunds {
  constructor(private readonly refunds: RefundStore) {}

  execute(page: number, pageSize: number, filter: RefundFilter): Promise<Page<RefundRecord>> {
    return this.refunds.listRefunds(page, pageSize, filter);
  }
}

/** One refund (admins). */
export class GetRefund {
  constructor(private readonly refunds: RefundStore) {}

  async execute(refundId: string): Promise<RefundRecord> {
    const refund = await this.refunds.findRefund(refundId);
    if (!refund) throw notFound('REFUND_NOT_FOUND', `refund ${refundId} not found`, { refund_id: refundId });
    return refund;
  }
}
