// InventoryCatalog, order's client of inventory's catalogue, over a real gRPC server standing in
// for inventory (inventory's own tests check what the real one answers): CreateSnapshots' answer
// with the product as it stood, its all-or-nothing NOT_FOUND as the unknown ids, and the answer of
// an inventory older than product_state (no state: PlaceOrder then asks GetProducts).
import { inventory as pb } from '@sudamall/proto';
import { createLogger, grpcHandler, notFound, startGrpcServer } from '@sudamall/shared';
import { InventoryCatalog } from '../../src/infra/grpc-clients';

const snapshot = (productId: string, withState: boolean): pb.ProductSnapshot => ({
  snapshotId: `snap-${productId}`,
  productId,
  productName: 'Linen shirt',
  productDescription: '',
  price: '20.00',
  salePrice: '15.00',
  currentPrice: '15.00',
  color: '',
  brand: '',
  category: '',
  size: 'M',
  storeId: 'store-a',
  createdAt: '2026-12-07T00:00:00.000Z',
  reason: 'order:o-1',
  productState: withState ? { deleted: false, hasSizes: true, sizes: ['M', 'S'] } : undefined,
});

let older = false;
let refusal: Error | null = null;
const impl = {
  createSnapshots: grpcHandler(async (req: pb.CreateSnapshotsRequest): Promise<pb.CreateSnapshotsResponse> => {
    if (refusal) throw refusal;
    return { snapshots: req.items.map((i) => snapshot(i.productId, !older)) };
  }),
} as unknown as pb.InventoryServiceServer;

let server: Awaited<ReturnType<typeof startGrpcServer>>;
let catalog: InventoryCatalog;
beforeAll(async () => {
  server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    services: [{ definition: pb.InventoryServiceService, implementation: impl }],
    logger: createLogger({ name: 'fake-inventory', level: 'silent' }),
  });
  catalog = new InventoryCatalog(`127.0.0.1:${server.port}`);
});
afterAll(async () => {
  catalog.close();
  await server.close();
});
beforeEach(() => {
  older = false;
  refusal = null;
});

it('answers each snapshot with the product as it stood, the line priced at current_price', async () => {
  const { snapshots, missingIds } = await catalog.createSnapshots([{ productId: 'p-1', size: 'M' }], 'order:o-1');
  expect(missingIds).toEqual([]);
  expect(snapshots).toEqual([
    expect.objectContaining({
      snapshotId: 'snap-p-1',
      price: '15.00',
      size: 'M',
      product: { id: 'p-1', deleted: false, hasSizes: true, sizes: ['M', 'S'] },
    }),
  ]);
});

it('an older inventory answers no product state, so none is made up', async () => {
  older = true;
  const { snapshots } = await catalog.createSnapshots([{ productId: 'p-1', size: 'M' }], 'order:o-1');
  expect(snapshots).toHaveLength(1);
  expect(snapshots[0]).not.toHaveProperty('product');
});

it("turns inventory's all-or-nothing NOT_FOUND into the unknown ids, and lets any other refusal through", async () => {
  refusal = notFound('PRODUCT_NOT_FOUND', 'unknown products: p-2', { missing_ids: ['p-2'] });
  expect(await catalog.createSnapshots([{ productId: 'p-2', size: null }], 'order:o-1')).toEqual({ snapshots: [], missingIds: ['p-2'] });
  // Without readable ids the refusal itself goes up (still a 404 to the buyer), not an empty answer.
  refusal = notFound('PRODUCT_NOT_FOUND', 'unknown products');
  await expect(catalog.createSnapshots([{ productId: 'p-2', size: null }], 'order:o-1')).rejects.toMatchObject({
    code: 'PRODUCT_NOT_FOUND',
    kind: 'not_found',
  });
  refusal = notFound('SOMETHING_ELSE', 'no');
  await expect(catalog.createSnapshots([{ productId: 'p-2', size: null }], 'order:o-1')).rejects.toMatchObject({ code: 'SOMETHING_ELSE' });
});
