import { randomUUID } from 'node:crypto';
import type { ChargeResult, LookupResult, PaymentGateway, RefundLookupResult, RefundRequest, RefundResult } from '../../app/ports';

/**
 * Nothing is charged online: `process` records the buyer's choice and the payment stays
 * pending until a seller or admin marks the cash collected. A refund of collected cash is
 * paid out by hand, so it is recorded with a manual reference.
 */
export class CashOnDeliveryGateway implements PaymentGateway {
  readonly name = 'cash_on_delivery';

  validateInput(): void {
    // No card or account: anything the payer sends is ignored.
  }

  async charge(): Promise<ChargeResult> {
    return { status: 'pending', raw: { collect_on_delivery: true } };
  }

  async refund(req: RefundRequest): Promise<RefundResult> {
    return { gatewayRefundId: `manual_${randomUUID()}`, raw: { manual: true, amount: req.amount } };
  }

  async lookupRefund(): Promise<RefundLookupResult> {
    // Paid out by hand, recorded here only: no gateway holds anything to find.
    return { status: 'not_found', raw: { manual: true } };
  }

  async void(): Promise<void> {
    // Nothing was taken.
  }

  async lookup(): Promise<LookupResult> {
    // Nothing is charged online: recording the buyer's choice again is always safe.
    return { status: 'not_found', raw: { collect_on_delivery: true } };
  }
}
