import { randomUUID } from 'node:crypto';
import { credentials, status } from '@grpc/grpc-js';
import { order as pb } from '@sudamall/proto';
import { createEnvelope, createLogger, promisifyUnary, startGrpcServer, type GrpcServerHandle } from '@sudamall/shared';
import { orderGrpcService } from '../../src/grpc/order-grpc';
import { SAGA_INBOX_CONSUMER } from '../../src/infra/saga-consumer';
import { startHarness, type Harness } from '../fixtures/harness';

// OrderService over real gRPC (port 0) as cart and payment call it.

let h: Harness;
let server: GrpcServerHandle;
let client: InstanceType<typeof pb.OrderServiceClient>;
let placeOrder: (r: pb.PlaceOrderRequest) => Promise<pb.PlaceOrderResponse>;
let getOrder: (r: pb.GetOrderRequest) => Promise<pb.GetOrderResponse>;
let forPayment: (r: pb.GetOrderForPaymentRequest) => Promise<pb.GetOrderForPaymentResponse>;

beforeAll(async () => {
  h = await startHarness({ kafka: false });
  server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    services: [{ definition: pb.OrderServiceService, implementation: orderGrpcService(h.c.useCases) }],
    logger: createLogger({ name: 'order-grpc-test', level: 'warn' }),
  });
  server.setServing(true);
  client = new pb.OrderServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
  placeOrder = promisifyUnary(client, 'placeOrder');
  getOrder = promisifyUnary(client, 'getOrder');
  forPayment = promisifyUnary(client, 'getOrderForPayment');
});
afterAll(async () => {
  client?.close();
  await server?.close();
  await h?.close();
});

function request(items: pb.PlaceOrderItem[], waitMs = 0): pb.PlaceOrderRequest {
  return { idempotencyKey: randomUUID(), userId: randomUUID(), items, shippingAddress: '4 Gezira Rd', notes: '', waitMs };
}

async function reserve(order: pb.Order) {
  const reply = createEnvelope('stock.reserved', order.orderId, {
    order_id: order.orderId,
    lines: order.items.map((i) => ({ line_id: i.itemId, product_id: i.productId, size: i.size || null, quantity: i.quantity, reservation_id: randomUUID() })),
  });
  await h.c.useCases.saga.handleReply(SAGA_INBOX_CONSUMER, reply);
}

it('PlaceOrder stores the order (pending) and replays it for the same key', async () => {
  const p = h.catalog.add({ price: '5.05', hasSizes: true, sizes: ['L'] });
  const req = request([{ productId: p.id, size: 'L', quantity: 4 }]);
  const first = await placeOrder(req);
  expect(first.replayed).toBe(false);
  expect(first.order).toMatchObject({ status: 'pending', totalAmount: '20.20', userId: req.userId, shippingAddress: '4 Gezira Rd' });
  expect(first.order!.items[0]).toMatchObject({ productId: p.id, size: 'L', quantity: 4, price: '5.05', storeId: 'store-a' });
  expect(first.order!.items[0].snapshotId).not.toBe('');
  const again = await placeOrder(req);
  expect(again.replayed).toBe(true);
  expect(again.order!.orderId).toBe(first.order!.orderId);
});

it('PlaceOrder with wait_ms answers once the reservation is known', async () => {
  const p = h.catalog.add();
  const req = request([{ productId: p.id, size: '', quantity: 1 }], 10_000);
  const pending = placeOrder(req);
  const placed = await (async () => {
    for (;;) {
      const row = await h.c.db.order.findFirst({ where: { userId: req.userId }, include: { items: true } });
      if (row) return row;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const started = Date.now();
  await reserve({
    orderId: placed.id,
    items: placed.items.map((i) => ({ itemId: i.id, productId: i.productId, size: i.size ?? '', quantity: i.quantity })),
  } as pb.Order);
  const res = await pending;
  expect(Date.now() - started).toBeLessThan(5000);
  expect(res.order!.status).toBe('under_paying');
  expect(res.order!.paymentExpiresAt).not.toBe('');
});

it('maps domain errors to gRPC codes with the stable code in metadata', async () => {
  await expect(placeOrder(request([{ productId: randomUUID(), size: '', quantity: 1 }]))).rejects.toMatchObject({
    code: 'PRODUCT_NOT_FOUND',
    kind: 'not_found',
  });
  await expect(placeOrder({ ...request([]), userId: randomUUID() })).rejects.toMatchObject({ code: 'EMPTY_ORDER', kind: 'invalid' });
  await expect(placeOrder({ ...request([{ productId: 'x', size: '', quantity: 1 }]), idempotencyKey: '' })).rejects.toMatchObject({
    code: 'IDEMPOTENCY_KEY_REQUIRED',
  });
  await expect(getOrder({ orderId: randomUUID() })).rejects.toMatchObject({ code: 'ORDER_NOT_FOUND', kind: 'not_found' });
  // the raw status, as a non-TypeScript caller sees it
  const raw = await new Promise<{ code: number }>((resolve) => client.getOrder({ orderId: 'nope' }, (err) => resolve(err as { code: number })));
  expect(raw.code).toBe(status.NOT_FOUND);
});

it('GetOrder and GetOrderForPayment: payable only while under_paying and inside the window', async () => {
  const p = h.catalog.add({ price: '99.99' });
  const { order } = await placeOrder(request([{ productId: p.id, size: '', quantity: 1 }]));
  expect(await forPayment({ orderId: order!.orderId })).toMatchObject({ payable: false, reason: 'ORDER_NOT_AWAITING_PAYMENT', status: 'pending' });
  await reserve(order!);
  const fetched = (await getOrder({ orderId: order!.orderId })).order!;
  expect(fetched.status).toBe('under_paying');
  const payable = await forPayment({ orderId: order!.orderId });
  expect(payable).toMatchObject({ payable: true, reason: '', totalAmount: '99.99', userId: order!.userId, paymentExpiresAt: fetched.paymentExpiresAt });
  // Who may collect cash on delivery for it: the sellers of its stores.
  expect(payable.storeIds).toEqual([p.storeId]);
  h.clock.offsetMs = 901_000;
  try {
    expect(await forPayment({ orderId: order!.orderId })).toMatchObject({ payable: false, reason: 'PAYMENT_WINDOW_EXPIRED' });
  } finally {
    h.clock.offsetMs = 0;
  }
  await h.c.useCases.saga.run(order!.orderId, { kind: 'cancel', reason: 'test' });
  expect(await forPayment({ orderId: order!.orderId })).toMatchObject({ payable: false, reason: 'ORDER_CANCELLED', status: 'cancelled' });
});
