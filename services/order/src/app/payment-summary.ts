import type { PaymentStatusPort } from './catalog';

export interface PaymentSummary {
  method: string;
  status: string;
}

/** How the buyer pays and where that stands, as a seller's views show it; null when payment cannot say. */
export async function paymentSummaryOf(payments: PaymentStatusPort | null, orderId: string): Promise<PaymentSummary | null> {
  try {
    const p = await payments?.getPaymentStatus(orderId);
    return p ? { method: p.gateway, status: p.status } : null;
  } catch {
    return null;
  }
}
