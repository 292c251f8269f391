// CartService.GetCart over a real gRPC server on port 0, read by a generated client.
import { credentials } from '@grpc/grpc-js';
import { cart } from '@sudamall/proto';
import { callUnary, createLogger, startGrpcServer, type GrpcServerHandle } from '@sudamall/shared';
import { cartServiceImplementation } from '../../src/grpc/cart-service';
import { startHarness, newBuyer, type Harness } from '../support/harness';

let h: Harness;
let server: GrpcServerHandle;
let client: cart.CartServiceClient;

beforeAll(async () => {
  h = await startHarness();
  server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    services: [{ definition: cart.CartServiceService, implementation: cartServiceImplementation(h.container.useCases) }],
    logger: createLogger({ name: 'cart-grpc-test', level: 'silent' }),
  });
  client = new cart.CartServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
});

afterAll(async () => {
  client.close();
  await server.close();
  await h.close();
});

const getCart = (userId: string) => callUnary(client.getCart.bind(client), { userId });

it('answers the buyer’s cart with prices as decimal strings', async () => {
  const buyer = newBuyer();
  const shirt = h.inventory.add({ name: 'T-shirt', price: '19.99', sizes: { M: 3 } });
  await h.app.inject({ method: 'POST', url: '/api/v1/carts/add/', headers: buyer.auth, payload: { product_id: shirt.id, quantity: 2, size: 'M' } });

  const res = await getCart(buyer.id);
  expect(res).toEqual({
    userId: buyer.id,
    items: [
      expect.objectContaining({
        productId: shirt.id,
        productName: 'T-shirt',
        size: 'M',
        quantity: 2,
        priceWhenAdded: '19.99',
        currentPrice: '19.99',
        subtotal: '39.98',
      }),
    ],
    total: '39.98',
    itemCount: 2,
  });
});

it('answers an empty cart for a buyer who has none', async () => {
  expect(await getCart(newBuyer().id)).toEqual({ userId: expect.any(String), items: [], total: '0.00', itemCount: 0 });
});

it('refuses a request without a user id with INVALID_ARGUMENT', async () => {
  await expect(getCart('')).rejects.toMatchObject({ kind: 'invalid', code: 'VALIDATION_FAILED' });
});
