import { type payment as pb } from '@sudamall/proto';
import { grpcHandler, invalid, notFound } from '@sudamall/shared';
import type { PaymentUseCases } from '../container';
import type { PaymentRecord } from '../app/records';

const iso = (d: Date | null) => (d ? d.toISOString() : '');

function toProto(p: PaymentRecord): pb.Payment {
  return {
    paymentId: p.paymentId,
    orderId: p.orderReference,
    userId: p.userId,
    status: p.status,
    amount: p.amount,
    gatewayFee: p.gatewayFee,
    totalAmount: p.totalAmount,
    currency: p.currency,
    gateway: p.gateway,
    paymentMethod: p.paymentMethod,
    gatewayTransactionId: p.gatewayTransactionId ?? '',
    failureReason: p.failureReason ?? '',
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
    refundedAmount: p.refundedAmount,
    gatewayReference: p.gatewayReference ?? '',
    attemptCount: p.attemptCount,
    completedAt: iso(p.completedAt),
  };
}

/** Internal peers (order, cart) asking about payments; typed by the generated server interface. */
export function paymentGrpcService(useCases: Pick<PaymentUseCases, 'getOrderPaymentForPeer' | 'getPaymentForPeer'>): pb.PaymentServiceServer {
  return {
    getPaymentStatus: grpcHandler<pb.GetPaymentStatusRequest, pb.GetPaymentStatusResponse>(async (req) => {
      if (!req.orderId) throw invalid('VALIDATION_FAILED', 'order_id is required');
      const p = await useCases.getOrderPaymentForPeer.execute(req.orderId);
      if (!p) throw notFound('PAYMENT_NOT_FOUND', `no payment for order ${req.orderId}`);
      return {
        orderId: p.orderReference,
        paymentId: p.paymentId,
        status: p.status,
        amount: p.amount,
        totalAmount: p.totalAmount,
        gateway: p.gateway,
        gatewayFee: p.gatewayFee,
        refundedAmount: p.refundedAmount,
        updatedAt: iso(p.updatedAt),
      };
    }),
    getPayment: grpcHandler<pb.GetPaymentRequest, pb.GetPaymentResponse>(async (req) => {
      if (!req.paymentId) throw invalid('VALIDATION_FAILED', 'payment_id is required');
      const p = await useCases.getPaymentForPeer.execute(req.paymentId);
      if (!p) throw notFound('PAYMENT_NOT_FOUND', `payment ${req.paymentId} not found`);
      return { payment: toProto(p) };
    }),
  };
}
