import type { AuthUser } from '@sudamall/shared';
import { orderNotFound } from '../domain/errors';
import { storeViewOf, type OrderListFilter, type OrderScope } from '../domain/order-listing';
import type { OrderStatus } from '../domain/order-status';
import type { OrderDetailView, OrderStore, OrderView, ReturnView } from '../infra/order-store';
import type { PaymentStatusPort } from './catalog';
import { requireAccess } from './order-access';
import type { Clock } from './ports';

export interface PaymentWindow {
  order_id: string;
  status: OrderStatus;
  expires_at: string | null;
  seconds_remaining: number;
  expired: boolean;
}

export class OrderQueries {
  constructor(
    private readonly store: OrderStore,
    private readonly clock: Clock,
    private readonly payments: PaymentStatusPort | null,
  ) {}

  private async headFor(user: AuthUser, orderId: string, allowed: Parameters<typeof requireAccess>[2]) {
    const head = await this.store.head(orderId);
    if (!head) throw orderNotFound(orderId);
    requireAccess(head, user, allowed);
    return head;
  }

  /**
   * The order as its reader may see it: a seller only their store's part (storeViewOf), with how
   * the buyer pays and where that stands (asked of the payment service; null when it cannot say).
   */
  async detail(user: AuthUser, orderId: string): Promise<OrderDetailView & { payment?: { method: string; status: string } | null }> {
    await this.headFor(user, orderId, ['owner', 'seller', 'admin']);
    const view = await this.store.getDetail(orderId);
    if (!view) throw orderNotFound(orderId);
    if (user.role !== 'seller' || !user.storeId) return view;
    return { ...storeViewOf(view, user.storeId), payment: await this.paymentSummary(orderId) };
  }

  private async paymentSummary(orderId: string): Promise<{ method: string; status: string } | null> {
    try {
      const p = await this.payments?.getPaymentStatus(orderId);
      return p ? { method: p.gateway, status: p.status } : null;
    } catch {
      return null;
    }
  }

  /** The order's returns: its buyer and admins see all, a seller their store's. */
  async returns(user: AuthUser, orderId: string): Promise<ReturnView[]> {
    await this.headFor(user, orderId, ['owner', 'seller', 'admin']);
    const all = await this.store.listReturns(orderId);
    return user.role === 'seller' ? all.filter((r) => r.store_id === user.storeId) : all;
  }

  view(orderId: string): Promise<OrderView | null> {
    return this.store.getView(orderId);
  }

  /**
   * The orders a reader may find: a buyer's own, a seller's store's (each shown as the store's
   * part), every order for an admin, who alone may narrow by `userId` / `storeId`.
   */
  async list(user: AuthUser, query: Omit<OrderListFilter<OrderStatus>, 'scope'> & { userId?: string; storeId?: string }) {
    const { userId, storeId, ...rest } = query;
    const scope: OrderScope =
      user.role === 'admin'
        ? { kind: 'all', userId, storeId }
        : user.role === 'seller' && user.storeId
          ? { kind: 'store', storeId: user.storeId }
          : { kind: 'buyer', userId: user.id };
    const page = await this.store.list({ ...rest, scope });
    if (scope.kind !== 'store') return page;
    // A seller's page (at most page_size orders) asks payment about each order, at once.
    const payments = await Promise.all(page.items.map((o) => this.paymentSummary(o.order_id)));
    return { ...page, items: page.items.map((o, i) => ({ ...storeViewOf(o, scope.storeId), payment: payments[i] ?? null })) };
  }

  /** The payment window as the buyer's countdown shows it. */
  async paymentWindow(user: AuthUser, orderId: string): Promise<PaymentWindow> {
    const head = await this.headFor(user, orderId, ['owner', 'admin']);
    return this.windowOf(head);
  }

  windowOf(head: { id: string; status: string; paymentExpiresAt: Date | null }): PaymentWindow {
    const now = this.clock.now().getTime();
    const expiresAt = head.paymentExpiresAt;
    // Only an order waiting for payment has a running window; once paid or cancelled, it is over.
    const open = head.status === 'under_paying' && expiresAt !== null;
    const remainingMs = open ? expiresAt.getTime() - now : 0;
    return {
      order_id: head.id,
      status: head.status as OrderStatus,
      expires_at: expiresAt ? expiresAt.toISOString() : null,
      seconds_remaining: Math.max(0, Math.floor(remainingMs / 1000)),
      expired:
        head.status === 'under_paying'
          ? remainingMs <= 0
          : head.status === 'cancelled' && head.paymentExpiresAt !== null && head.paymentExpiresAt.getTime() <= now,
    };
  }

  /** Order status beside the payment service's view; degrades to `payment_service: "unavailable"`. */
  async checkPayment(user: AuthUser, orderId: string) {
    const head = await this.headFor(user, orderId, ['owner', 'admin']);
    const window = this.windowOf(head);
    let payment: Awaited<ReturnType<PaymentStatusPort['getPaymentStatus']>> = null;
    let service: 'ok' | 'unavailable' = 'ok';
    if (!this.payments) service = 'unavailable';
    else {
      try {
        payment = await this.payments.getPaymentStatus(orderId);
      } catch {
        service = 'unavailable';
      }
    }
    return {
      order_id: head.id,
      order_status: head.status,
      total_amount: head.totalAmount,
      payment_expires_at: window.expires_at,
      seconds_remaining: window.seconds_remaining,
      expired: window.expired,
      paid: ['processing', 'shipped', 'delivered'].includes(head.status) || payment?.status === 'completed',
      payment_service: service,
      payment: payment
        ? {
            payment_id: payment.paymentId,
            status: payment.status,
            amount: payment.amount,
            gateway_fee: payment.gatewayFee,
            total_amount: payment.totalAmount,
            refunded_amount: payment.refundedAmount,
            gateway: payment.gateway,
          }
        : null,
    };
  }

  /** For the payment service: can this order be charged now, and how much. */
  async forPayment(orderId: string) {
    const head = await this.store.head(orderId);
    if (!head) throw orderNotFound(orderId);
    const now = this.clock.now().getTime();
    let reason = '';
    if (head.status === 'cancelled') reason = 'ORDER_CANCELLED';
    else if (head.status !== 'under_paying') reason = 'ORDER_NOT_AWAITING_PAYMENT';
    else if (!head.paymentExpiresAt || head.paymentExpiresAt.getTime() <= now) reason = 'PAYMENT_WINDOW_EXPIRED';
    return {
      order_id: head.id,
      user_id: head.userId,
      status: head.status as OrderStatus,
      total_amount: head.totalAmount,
      payment_expires_at: head.paymentExpiresAt ? head.paymentExpiresAt.toISOString() : '',
      payable: reason === '',
      reason,
      store_ids: head.storeIds,
    };
  }
}
