import { PlaceOrder, type PlacementStore } from '../../src/app/place-order';
import { SagaCoordinator } from '../../src/app/saga-coordinator';
import type { UnitOfWork } from '../../src/app/ports';
import { FakeCatalog } from '../fixtures/fake-catalog';

// How a create waits for the reservation outcome (PLACE_ORDER_WAIT_MS): woken without a read when
// this process moves the order, a slow status poll when another replica applied the reply.

const settings = { paymentWindowMs: 900_000, reservationMarginMs: 60_000, retryBaseMs: 1000, retryMaxMs: 60_000, stepTimeoutMs: 30_000, maxAttempts: 5 };

function setUp() {
  const statuses = new Map<string, string>();
  const store = {
    reads: 0,
    inserted: [] as string[],
    async findIdByIdempotencyKey() {
      return null;
    },
    async insertPlaced(order) {
      statuses.set(order.id, 'pending');
      store.inserted.push(order.id);
      return 'created' as const;
    },
    async currentStatus(orderId: string) {
      store.reads++;
      return statuses.get(orderId) ?? null;
    },
  } satisfies PlacementStore & { reads: number; inserted: string[] };
  const saga = new SagaCoordinator({} as UnitOfWork, { now: () => new Date() }, settings);
  const catalog = new FakeCatalog();
  const product = catalog.add();
  const place = new PlaceOrder(catalog, store, saga);
  const input = (waitMs: number) => ({
    userId: 'u1',
    idempotencyKey: `k-${Math.random()}`,
    items: [{ productId: product.id, quantity: 1 }],
    shippingAddress: 'x',
    waitMs,
  });
  return { statuses, store, saga, place, input };
}

const placed = async (store: { inserted: string[] }) => {
  while (store.inserted.length === 0) await new Promise((r) => setImmediate(r));
  return store.inserted[0];
};

it('a move this process commits ends the wait at once, without reading the status', async () => {
  const { store, saga, place, input, statuses } = setUp();
  const started = Date.now();
  const placing = place.execute(input(10_000));
  const orderId = await placed(store);
  await new Promise((r) => setTimeout(r, 50));
  statuses.set(orderId, 'under_paying');
  saga.notifyOrderChanged(orderId, 'under_paying');
  expect(await placing).toEqual({ orderId, replayed: false });
  expect(Date.now() - started).toBeLessThan(900);
  expect(store.reads).toBe(0);
});

it('a move another replica made is seen by the slow poll', async () => {
  const { store, place, input, statuses } = setUp();
  const placing = place.execute(input(10_000));
  const orderId = await placed(store);
  statuses.set(orderId, 'cancelled');
  const started = Date.now();
  await placing;
  expect(Date.now() - started).toBeLessThan(2500);
  expect(store.reads).toBeGreaterThanOrEqual(1);
});

it('answers when the wait is up, the order still pending; 0 answers at once', async () => {
  const { store, place, input } = setUp();
  let started = Date.now();
  await place.execute(input(300));
  expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  started = Date.now();
  await place.execute(input(0));
  expect(Date.now() - started).toBeLessThan(200);
  expect(store.reads).toBe(0);
});
