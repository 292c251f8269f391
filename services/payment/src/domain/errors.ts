import { conflict } from '@sudamall/shared';

/** One live payment per order: the error points at the existing one. */
export function paymentExists(live: { paymentId: string; status: string } | null) {
  return conflict('PAYMENT_EXISTS', 'the order already has a live payment', live ? { payment_id: live.paymentId, status: live.status } : {});
}
