import { orderNotFound } from '../domain/errors';
import { reservationsFromLog, traceUrl, type PaymentLookupPort, type PaymentView, type SagaAdminStore, type SagaDetail } from './saga-admin';

/**
 * One saga as the dashboard inspects it: the order, the saga, its step log and operator actions,
 * the stock as the log tells it, the payment as the payment service tells it (when reachable),
 * and a link to its trace. `Order` is the order's shape the store gives (the container's choice).
 */
export class GetSagaDetail<Order = unknown> {
  constructor(
    private readonly store: SagaAdminStore<Order>,
    private readonly payments: PaymentLookupPort | null,
    private readonly traceUrlTemplate?: string,
  ) {}

  async execute(orderId: string): Promise<SagaDetail<Order>> {
    const [order, saga, steps, actions] = await Promise.all([
      this.store.order(orderId),
      this.store.saga(orderId),
      this.store.steps(orderId),
      this.store.actions(orderId),
    ]);
    if (!order || !saga) throw orderNotFound(orderId);
    let payment: PaymentView | null = null;
    let service: 'ok' | 'unavailable' = this.payments ? 'ok' : 'unavailable';
    if (this.payments) {
      try {
        payment = await this.payments.paymentOf(orderId);
      } catch {
        // The page still shows everything the order service knows.
        service = 'unavailable';
      }
    }
    return {
      order,
      saga,
      steps,
      actions,
      reservations: reservationsFromLog(steps),
      payment,
      payment_service: service,
      trace_url: traceUrl(this.traceUrlTemplate, saga.trace_id),
    };
  }
}
