import { randomUUID } from 'node:crypto';
import { conflict, forbidden } from '@sudamall/shared';
import { calculateCharges } from '../domain/fees';
import { paymentExists } from '../domain/errors';
import type { Actor } from './deps';
import type { Clock, GatewayRegistry, OrderForPayment, OrdersPort, PaymentStore } from './ports';
import type { PaymentRecord } from './records';

export interface CreatePaymentInput {
  orderId: string;
  gateway: string;
  paymentMethod?: string;
}

const DEFAULT_METHOD: Record<string, string> = {
  test_gateway: 'credit_card',
  stripe: 'credit_card',
  paypal: 'paypal',
  cash_on_delivery: 'cash',
};

/** Why an order cannot be paid, as an error the client can act on. */
export function notPayable(order: OrderForPayment) {
  if (order.reason === 'PAYMENT_WINDOW_EXPIRED') {
    return conflict('PAYMENT_WINDOW_EXPIRED', 'the payment window of this order has closed', {
      order_id: order.orderId,
      payment_expires_at: order.paymentExpiresAt?.toISOString() ?? null,
    });
  }
  return conflict('ORDER_NOT_PAYABLE', `the order cannot be paid now (status ${order.status})`, {
    order_id: order.orderId,
    order_status: order.status,
    reason: order.reason || null,
  });
}

/**
 * A payment for an order awaiting payment. The amount is the order's (asked over gRPC), never
 * the client's; one live payment per order (the partial unique index settles races).
 */
export class CreatePayment {
  constructor(
    private readonly payments: PaymentStore,
    private readonly orders: OrdersPort,
    private readonly gateways: GatewayRegistry,
    private readonly clock: Clock,
    private readonly currency: string,
  ) {}

  async execute(actor: Actor, input: CreatePaymentInput): Promise<PaymentRecord> {
    // The gateway's settings are read on every create (an admin's change applies to the next
    // payment), in the one statement that also finds the order's live payment.
    const found = await this.payments.findGatewayAndLivePayment(input.gateway, input.orderId);
    const gateway = found.gateway;
    // 409 like process's: whether a gateway takes payments is the platform's state (configured,
    // switched on by an admin), not something malformed in the request.
    if (!gateway || !gateway.isActive || !this.gateways.get(gateway.name)) {
      throw conflict('GATEWAY_NOT_AVAILABLE', `gateway ${input.gateway} is not available`, { available: this.gateways.names() });
    }

    const order = await this.orders.getOrderForPayment(input.orderId);
    if (order.userId !== actor.id) throw forbidden('FORBIDDEN', 'this order belongs to another user');

    // The order may name itself otherwise than the request did (a UUID's case): its own id decides.
    const live = order.orderId === input.orderId ? found.live : await this.payments.findLivePayment(order.orderId);
    if (live) throw paymentExists(live);

    const now = this.clock.now();
    if (!order.payable) throw notPayable(order);
    if (order.paymentExpiresAt && order.paymentExpiresAt.getTime() <= now.getTime()) {
      throw notPayable({ ...order, payable: false, reason: 'PAYMENT_WINDOW_EXPIRED' });
    }

    const charges = calculateCharges(order.totalAmount, gateway);
    return this.payments.createPayment({
      paymentId: randomUUID(),
      orderReference: order.orderId,
      userId: order.userId,
      gateway: gateway.name,
      paymentMethod: input.paymentMethod ?? DEFAULT_METHOD[gateway.name] ?? 'other',
      currency: this.currency,
      amount: charges.amount,
      gatewayFee: charges.gatewayFee,
      totalAmount: charges.totalAmount,
      expiresAt: order.paymentExpiresAt,
      metadata: { fixed_fee: gateway.fixedFee, percentage_fee: gateway.percentageFee },
    });
  }
}
