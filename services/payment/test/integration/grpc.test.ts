// gRPC both ways: the order peer is a tiny real grpc-js server implementing
// OrderService.GetOrderForPayment (generated definition, port 0) that the service reaches
// through its GrpcOrdersClient; payment's own PaymentService answers over gRPC too.
import { randomUUID } from 'node:crypto';
import { credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { order as orderPb, payment as paymentPb } from '@sudamall/proto';
import { grpcHandler, notFound, promisifyUnary, startGrpcServer, type GrpcServerHandle } from '@sudamall/shared';
import { bearer } from '@sudamall/shared/testing';
import { TestGateway } from '../../src/infra/gateways/test-gateway';
import { GrpcOrdersClient } from '../../src/infra/order-client';
import { paymentGrpcService } from '../../src/grpc/payment-service';
import { createPaymentLogger } from '../../src/infra/logger';
import { buyer, CARDS, startHarness, type Harness } from '../support/harness';

type PeerOrder = orderPb.GetOrderForPaymentResponse;

describe('gRPC: order peer and PaymentService', () => {
  const peerOrders = new Map<string, PeerOrder>();
  let orderPeer: GrpcServerHandle;
  let ordersClient: GrpcOrdersClient;
  let h: Harness;
  let paymentServer: GrpcServerHandle;
  let paymentClient: paymentPb.PaymentServiceClient;

  beforeAll(async () => {
    const implementation: Pick<orderPb.OrderServiceServer, 'getOrderForPayment'> = {
      getOrderForPayment: grpcHandler<orderPb.GetOrderForPaymentRequest, orderPb.GetOrderForPaymentResponse>(async (req) => {
        const o = peerOrders.get(req.orderId);
        if (!o) throw notFound('ORDER_NOT_FOUND', `order ${req.orderId} not found`);
        return o;
      }),
    };
    const logger = createPaymentLogger('silent');
    orderPeer = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [{ definition: orderPb.OrderServiceService, implementation }], logger });
    ordersClient = new GrpcOrdersClient(`127.0.0.1:${orderPeer.port}`);
    h = await startHarness({ orders: ordersClient, gateways: [new TestGateway()] });
    paymentServer = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      services: [{ definition: paymentPb.PaymentServiceService, implementation: paymentGrpcService(h.container.useCases) }],
      logger,
    });
    paymentClient = new paymentPb.PaymentServiceClient(`127.0.0.1:${paymentServer.port}`, credentials.createInsecure());
  });
  afterAll(async () => {
    paymentClient?.close();
    ordersClient?.close();
    await paymentServer?.close();
    await h?.close();
    await orderPeer?.close();
  });

  const addOrder = (userId: string, patch: Partial<PeerOrder> = {}) => {
    const o: PeerOrder = {
      orderId: randomUUID(),
      userId,
      status: 'under_paying',
      totalAmount: '64.00',
      paymentExpiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
      payable: true,
      reason: '',
      storeIds: [],
      ...patch,
    };
    peerOrders.set(o.orderId, o);
    return o;
  };

  it('creates and processes a payment with the order asked over gRPC', async () => {
    const user = buyer();
    const o = addOrder(user.id);
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: o.orderId, gateway: 'test_gateway' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ amount: '64.00', gateway_fee: '3.60', total_amount: '67.60' });
    const processed = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/process/',
      headers: { authorization: user.auth },
      payload: { payment_id: created.json().payment_id, card_number: CARDS.success },
    });
    expect(processed.json().payment.status).toBe('completed');

    const getStatus = promisifyUnary(paymentClient, 'getPaymentStatus');
    const status = await getStatus({ orderId: o.orderId });
    expect(status).toMatchObject({
      orderId: o.orderId,
      paymentId: created.json().payment_id,
      status: 'completed',
      amount: '64.00',
      gatewayFee: '3.60',
      totalAmount: '67.60',
      refundedAmount: '0.00',
      gateway: 'test_gateway',
    });
    const getPayment = promisifyUnary(paymentClient, 'getPayment');
    const { payment } = await getPayment({ paymentId: created.json().payment_id });
    expect(payment).toMatchObject({
      orderId: o.orderId,
      userId: user.id,
      status: 'completed',
      currency: 'USD',
      attemptCount: 1,
      completedAt: expect.stringMatching(/^\d{4}-/),
      gatewayTransactionId: expect.stringMatching(/^test_txn_/),
    });
  });

  it('maps the order peer’s answers: unknown order 404, expired window 409', async () => {
    const user = buyer();
    const unknown = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: randomUUID(), gateway: 'test_gateway' },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('ORDER_NOT_FOUND');
    const late = addOrder(user.id, { payable: false, reason: 'PAYMENT_WINDOW_EXPIRED', paymentExpiresAt: new Date(Date.now() - 60_000).toISOString() });
    const refused = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: late.orderId, gateway: 'test_gateway' },
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('PAYMENT_WINDOW_EXPIRED');
  });

  it('lets a seller collect cash on delivery only for an order of their store, as the order peer says (store_ids)', async () => {
    const user = buyer();
    const o = addOrder(user.id, { storeIds: ['store-north', 'store-south'] });
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/payments/create/',
      headers: { authorization: user.auth },
      payload: { order_id: o.orderId, gateway: 'cash_on_delivery' },
    });
    const paymentId = created.json().payment_id as string;
    await h.app.inject({ method: 'POST', url: '/api/v1/payments/process/', headers: { authorization: user.auth }, payload: { payment_id: paymentId } });
    const collectAs = (storeId: string) =>
      h.app.inject({
        method: 'POST',
        url: `/api/v1/payments/${paymentId}/collect/`,
        headers: { authorization: bearer({ sub: `seller-${randomUUID()}`, role: 'seller', store_id: storeId }) },
      });
    const stranger = await collectAs('store-west');
    expect(stranger.statusCode).toBe(403);
    expect(stranger.json().error.code).toBe('FORBIDDEN');
    const own = await collectAs('store-south');
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ payment_id: paymentId, status: 'completed' });
  });

  it('answers 503 UPSTREAM_UNAVAILABLE when the order service is down', async () => {
    const down = new GrpcOrdersClient('127.0.0.1:1', 1000);
    const h2 = await startHarness({ orders: down });
    try {
      const user = buyer();
      const res = await h2.app.inject({
        method: 'POST',
        url: '/api/v1/payments/create/',
        headers: { authorization: user.auth },
        payload: { order_id: randomUUID(), gateway: 'test_gateway' },
      });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('UPSTREAM_UNAVAILABLE');
    } finally {
      down.close();
      await h2.close();
    }
  });

  it('PaymentService answers NOT_FOUND with code PAYMENT_NOT_FOUND', async () => {
    const err = await new Promise<ServiceError>((resolve) => paymentClient.getPayment({ paymentId: randomUUID() }, (e) => resolve(e as ServiceError)));
    expect(err.code).toBe(GrpcStatus.NOT_FOUND);
    expect(err.metadata.get('error-code')).toEqual(['PAYMENT_NOT_FOUND']);
    const noPayment = await new Promise<ServiceError>((resolve) =>
      paymentClient.getPaymentStatus({ orderId: randomUUID() }, (e) => resolve(e as ServiceError)),
    );
    expect(noPayment.code).toBe(GrpcStatus.NOT_FOUND);
    const invalid = await new Promise<ServiceError>((resolve) => paymentClient.getPayment({ paymentId: '' }, (e) => resolve(e as ServiceError)));
    expect(invalid.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  });
});
