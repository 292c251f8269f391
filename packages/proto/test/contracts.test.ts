// Runs the generated code for real: a grpc-js server built from each generated service
// definition, called through the generated client, over loopback. Guards against generator
// option changes that would break the wire format or the names the services import.
import * as grpc from '@grpc/grpc-js';
import { cart, inventory, order, payment } from '../src';

type Started = { address: string; server: grpc.Server };

async function startServer(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): Promise<Started> {
  const server = new grpc.Server();
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return { address: `127.0.0.1:${port}`, server };
}

// Promisifies one unary method of a generated client. The methods are overloaded, so TypeScript
// cannot infer Req/Res from them: callers name the message types.
function unary<Req, Res>(client: grpc.Client, method: (req: Req, callback: (err: grpc.ServiceError | null, res: Res) => void) => grpc.ClientUnaryCall) {
  return (request: Req) =>
    new Promise<Res>((resolve, reject) => {
      method.call(client, request, (err, res) => (err ? reject(err) : resolve(res)));
    });
}

const unused = (name: string) => () => {
  throw new Error(`${name} is not part of this test`);
};

describe('inventory.v1 over grpc-js', () => {
  let started: Started;
  let client: inventory.InventoryServiceClient;
  const seenReserveRequests: inventory.ReserveRequest[] = [];

  const implementation: inventory.InventoryServiceServer = {
    getProducts: (call, callback) => {
      const [first, ...rest] = call.request.ids;
      callback(null, {
        products: [
          inventory.Product.create({
            id: first,
            productName: 'Linen shirt',
            price: '19.90',
            hasSizes: true,
            availableQuantity: 5,
            sizes: [{ size: 'M', availableQuantity: 5, reservedQuantity: 1, soldQuantity: 2 }],
          }),
        ],
        missingIds: rest,
      });
    },
    checkAvailability: unused('checkAvailability'),
    reserve: (call, callback) => {
      seenReserveRequests.push(call.request);
      const [line] = call.request.lines;
      callback(null, {
        orderId: call.request.orderId,
        status: inventory.ReserveStatus.RESERVE_STATUS_REJECTED,
        reservations: [],
        shortLines: [
          {
            lineId: line.lineId,
            productId: line.productId,
            size: line.size,
            requested: line.quantity,
            available: 1,
            code: 'INSUFFICIENT_STOCK',
          },
        ],
        expiresAt: '',
      });
    },
    reserveBatch: (call, callback) => {
      // Echoes each entry: reserved when it has lines, an error otherwise (the oneof's two cases).
      callback(null, {
        results: call.request.reservations.map((r) =>
          r.lines.length > 0
            ? {
                result: {
                  $case: 'response',
                  response: inventory.ReserveResponse.create({ orderId: r.orderId, status: inventory.ReserveStatus.RESERVE_STATUS_RESERVED }),
                },
              }
            : { result: { $case: 'error', error: { code: 'NO_LINES', message: 'no lines', grpcStatus: grpc.status.INVALID_ARGUMENT } } },
        ),
      });
    },
    release: unused('release'),
    confirm: unused('confirm'),
    createSnapshots: unused('createSnapshots'),
    getSnapshot: (_call, callback) => {
      const metadata = new grpc.Metadata();
      metadata.set('error-code', 'SNAPSHOT_NOT_FOUND');
      callback({ code: grpc.status.NOT_FOUND, details: 'snapshot not found', metadata });
    },
  };

  beforeAll(async () => {
    started = await startServer(inventory.InventoryServiceService, implementation);
    client = new inventory.InventoryServiceClient(started.address, grpc.credentials.createInsecure());
  });

  afterAll(() => {
    client.close();
    started.server.forceShutdown();
  });

  it('serves the methods under the sudamall.inventory.v1 package path', () => {
    expect(inventory.InventoryServiceService.reserve.path).toBe('/sudamall.inventory.v1.InventoryService/Reserve');
    expect(inventory.protobufPackage).toBe('sudamall.inventory.v1');
  });

  it('returns products in camelCase with decimal prices kept as written', async () => {
    const response = await unary<inventory.GetProductsRequest, inventory.GetProductsResponse>(client, client.getProducts)({ ids: ['p-1', 'p-unknown'] });

    expect(response.missingIds).toEqual(['p-unknown']);
    expect(response.products[0]).toMatchObject({
      id: 'p-1',
      productName: 'Linen shirt',
      price: '19.90',
      hasSizes: true,
      deleted: false,
      storeId: '',
      sizes: [{ size: 'M', availableQuantity: 5, reservedQuantity: 1, soldQuantity: 2 }],
    });
  });

  it('reports short lines with the enum status and tells an unset ttl from an explicit one', async () => {
    const reserve = unary<inventory.ReserveRequest, inventory.ReserveResponse>(client, client.reserve);
    const line = { lineId: 'item-1', productId: 'p-1', size: 'M', quantity: 3 };

    const rejected = await reserve(inventory.ReserveRequest.create({ orderId: 'o-1', lines: [line] }));
    await reserve({ orderId: 'o-2', lines: [line], ttlSeconds: 0 });

    expect(rejected.status).toBe(inventory.ReserveStatus.RESERVE_STATUS_REJECTED);
    expect(rejected.shortLines).toEqual([{ lineId: 'item-1', productId: 'p-1', size: 'M', requested: 3, available: 1, code: 'INSUFFICIENT_STOCK' }]);
    expect(seenReserveRequests[0].ttlSeconds).toBeUndefined();
    expect(seenReserveRequests[1].ttlSeconds).toBe(0);
  });

  it('answers a ReserveBatch entry by entry, in order, each a response or an error', async () => {
    const line = { lineId: 'item-1', productId: 'p-1', size: '', quantity: 1 };
    const out = await unary<inventory.ReserveBatchRequest, inventory.ReserveBatchResponse>(
      client,
      client.reserveBatch,
    )({
      reservations: [
        { orderId: 'o-1', lines: [line] },
        { orderId: 'o-2', lines: [] },
      ],
    });

    expect(inventory.InventoryServiceService.reserveBatch.path).toBe('/sudamall.inventory.v1.InventoryService/ReserveBatch');
    expect(out.results.map((r) => r.result?.$case)).toEqual(['response', 'error']);
    expect(out.results[0].result).toMatchObject({ response: { orderId: 'o-1', status: inventory.ReserveStatus.RESERVE_STATUS_RESERVED } });
    expect(out.results[1].result).toEqual({ $case: 'error', error: { code: 'NO_LINES', message: 'no lines', grpcStatus: grpc.status.INVALID_ARGUMENT } });
  });

  it('carries the domain error code in metadata', async () => {
    const error = await unary<inventory.GetSnapshotRequest, inventory.GetSnapshotResponse>(
      client,
      client.getSnapshot,
    )({ snapshotId: 'missing' }).catch((e: grpc.ServiceError) => e);

    expect((error as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
    expect((error as grpc.ServiceError).metadata.get('error-code')).toEqual(['SNAPSHOT_NOT_FOUND']);
  });
});

describe('order, payment and cart services over grpc-js', () => {
  const servers: grpc.Server[] = [];
  const clients: grpc.Client[] = [];

  afterAll(() => {
    clients.forEach((c) => c.close());
    servers.forEach((s) => s.forceShutdown());
  });

  it('round-trips PlaceOrder with nested items and short lines', async () => {
    const implementation: order.OrderServiceServer = {
      placeOrder: (call, callback) =>
        callback(null, {
          replayed: false,
          order: order.Order.create({
            orderId: 'o-1',
            userId: call.request.userId,
            status: 'cancelled',
            totalAmount: '39.80',
            cancelReason: 'out_of_stock',
            items: call.request.items.map((item, index) => ({
              itemId: `i-${index}`,
              productId: item.productId,
              size: item.size,
              quantity: item.quantity,
              price: '19.90',
              snapshotId: '',
              productName: 'Linen shirt',
              storeId: 's-1',
            })),
            shortLines: [{ lineId: 'i-0', productId: 'p-1', size: 'M', requested: 2, available: 0, code: 'INSUFFICIENT_STOCK' }],
          }),
        }),
      getOrder: unused('getOrder'),
      getOrderForPayment: unused('getOrderForPayment'),
    };
    const started = await startServer(order.OrderServiceService, implementation);
    servers.push(started.server);
    const client = new order.OrderServiceClient(started.address, grpc.credentials.createInsecure());
    clients.push(client);

    const response = await unary<order.PlaceOrderRequest, order.PlaceOrderResponse>(
      client,
      client.placeOrder,
    )(
      order.PlaceOrderRequest.create({
        idempotencyKey: 'k-1',
        userId: 'u-1',
        items: [{ productId: 'p-1', size: 'M', quantity: 2 }],
        waitMs: 2000,
      }),
    );

    expect(response.order?.items).toEqual([
      { itemId: 'i-0', productId: 'p-1', size: 'M', quantity: 2, price: '19.90', snapshotId: '', productName: 'Linen shirt', storeId: 's-1' },
    ]);
    expect(response.order?.shortLines[0].code).toBe('INSUFFICIENT_STOCK');
    expect(response.order).toMatchObject({ userId: 'u-1', status: 'cancelled', totalAmount: '39.80', paymentExpiresAt: '' });
  });

  it('round-trips GetPaymentStatus', async () => {
    const implementation: payment.PaymentServiceServer = {
      getPaymentStatus: (call, callback) =>
        callback(null, {
          orderId: call.request.orderId,
          paymentId: 'pay-1',
          status: 'completed',
          amount: '39.80',
          totalAmount: '41.00',
          gateway: 'test_gateway',
          gatewayFee: '1.20',
          refundedAmount: '0.00',
          updatedAt: '2026-11-25T07:00:00.000Z',
        }),
      getPayment: unused('getPayment'),
    };
    const started = await startServer(payment.PaymentServiceService, implementation);
    servers.push(started.server);
    const client = new payment.PaymentServiceClient(started.address, grpc.credentials.createInsecure());
    clients.push(client);

    const response = await unary<payment.GetPaymentStatusRequest, payment.GetPaymentStatusResponse>(client, client.getPaymentStatus)({ orderId: 'o-1' });

    expect(response).toEqual({
      orderId: 'o-1',
      paymentId: 'pay-1',
      status: 'completed',
      amount: '39.80',
      totalAmount: '41.00',
      gateway: 'test_gateway',
      gatewayFee: '1.20',
      refundedAmount: '0.00',
      updatedAt: '2026-11-25T07:00:00.000Z',
    });
  });

  it('round-trips GetCart and CheckoutCart', async () => {
    const implementation: cart.CartServiceServer = {
      getCart: (call, callback) =>
        callback(null, {
          userId: call.request.userId,
          items: [
            {
              itemId: 'c-1',
              productId: 'p-1',
              productName: 'Linen shirt',
              size: '',
              quantity: 2,
              priceWhenAdded: '19.90',
              currentPrice: '17.50',
              subtotal: '35.00',
            },
          ],
          total: '39.80',
          itemCount: 2,
        }),
      checkoutCart: (call, callback) =>
        callback(null, { orderId: `order-of-${call.request.userId}`, status: 'under_paying', replayed: call.request.idempotencyKey === 'seen' }),
    };
    const started = await startServer(cart.CartServiceService, implementation);
    servers.push(started.server);
    const client = new cart.CartServiceClient(started.address, grpc.credentials.createInsecure());
    clients.push(client);

    const response = await unary<cart.GetCartRequest, cart.GetCartResponse>(client, client.getCart)({ userId: 'u-1' });

    expect(response).toMatchObject({ userId: 'u-1', total: '39.80', itemCount: 2 });
    expect(response.items[0]).toMatchObject({ priceWhenAdded: '19.90', currentPrice: '17.50', size: '' });

    // CheckoutCart: the unset strings of a keyless, typed-address checkout arrive as "".
    const checkout = unary<cart.CheckoutCartRequest, cart.CheckoutCartResponse>(client, client.checkoutCart);
    expect(await checkout({ userId: 'u-1', idempotencyKey: '', shippingAddress: '1 Main St', addressId: '', notes: '' })).toEqual({
      orderId: 'order-of-u-1',
      status: 'under_paying',
      replayed: false,
    });
    expect(await checkout({ userId: 'u-2', idempotencyKey: 'seen', shippingAddress: '', addressId: 'a-1', notes: '' })).toMatchObject({ replayed: true });
  });
});
