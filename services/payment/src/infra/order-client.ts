import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { order } from '@sudamall/proto';
import { promisifyUnary } from '@sudamall/shared';
import type { OrderForPayment, OrdersPort } from '../app/ports';

/** The order service over gRPC (GetOrderForPayment); errors arrive as DomainErrors (fromGrpcError). */
export class GrpcOrdersClient implements OrdersPort {
  private readonly client: order.OrderServiceClient;
  private readonly getForPayment: (req: order.GetOrderForPaymentRequest, opts?: { deadlineMs?: number }) => Promise<order.GetOrderForPaymentResponse>;

  constructor(
    url: string,
    private readonly deadlineMs = 5000,
    creds: ChannelCredentials = credentials.createInsecure(),
  ) {
    this.client = new order.OrderServiceClient(url, creds);
    this.getForPayment = promisifyUnary(this.client, 'getOrderForPayment');
  }

  async getOrderForPayment(orderId: string): Promise<OrderForPayment> {
    const res = await this.getForPayment({ orderId }, { deadlineMs: this.deadlineMs });
    return {
      orderId: res.orderId,
      userId: res.userId,
      status: res.status,
      totalAmount: res.totalAmount,
      paymentExpiresAt: res.paymentExpiresAt ? new Date(res.paymentExpiresAt) : null,
      payable: res.payable,
      reason: res.reason,
      storeIds: res.storeIds,
    };
  }

  close(): void {
    this.client.close();
  }
}
