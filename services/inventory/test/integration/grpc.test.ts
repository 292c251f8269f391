// The gRPC service on port 0, called through the generated client, against the real database
// and Redis: every RPC, and domain errors carried as gRPC status + error-code metadata.
import { randomUUID } from 'node:crypto';
import { credentials } from '@grpc/grpc-js';
import { inventory as pb } from '@sudamall/proto';
import { promisifyUnary, startGrpcServer, type GrpcServerHandle } from '@sudamall/shared';
import type { Pool } from 'pg';
import { catalogueUseCases } from '../../src/container';
import { inventoryGrpcService } from '../../src/grpc/inventory-service';
import { CatalogueStore } from '../../src/infra/catalogue-store';
import { createPrisma } from '../../src/infra/prisma';
import { TEST_DATABASE_URL } from '../support/env';
import { seedProduct, silentLogger, startEngine, stockRow, testPool, type EngineHarness } from '../support/fixtures';

let pool: Pool;
let h: EngineHarness;
let server: GrpcServerHandle;
let client: pb.InventoryServiceClient;
const prisma = createPrisma(TEST_DATABASE_URL);

beforeAll(async () => {
  pool = testPool(10);
  h = await startEngine(pool);
  server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    services: [
      {
        definition: pb.InventoryServiceService,
        implementation: inventoryGrpcService({ useCases: catalogueUseCases(new CatalogueStore(prisma)), engine: h.engine, reservations: h.reservations }),
      },
    ],
    logger: silentLogger,
  });
  server.setServing(true);
  client = new pb.InventoryServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
});
afterAll(async () => {
  client.close();
  await server.close();
  await h.close();
  await prisma.$disconnect();
  await pool.end();
});

const call = <K extends keyof pb.InventoryServiceClient>(m: K) => promisifyUnary(client, m);

describe('Reserve / Confirm / Release over gRPC', () => {
  it('reserves, repeats idempotently, confirms and releases', async () => {
    const p = await seedProduct(pool, { S: 3, M: 5 });
    const reserve = call('reserve');
    const orderId = randomUUID();
    const req = { orderId, lines: [{ lineId: 'l1', productId: p.productId, size: 'M', quantity: 2 }] };
    const first = await reserve(req);
    expect(first).toMatchObject({ orderId, status: pb.ReserveStatus.RESERVE_STATUS_RESERVED, shortLines: [] });
    expect(first.reservations[0]).toMatchObject({ lineId: 'l1', quantity: 2, size: 'M', status: pb.ReservationStatus.RESERVATION_STATUS_RESERVED });
    expect(first.expiresAt).not.toBe('');
    expect(await reserve(req)).toEqual(first);

    const confirm = call('confirm');
    expect(await confirm({ orderId })).toEqual({ orderId, status: pb.ConfirmStatus.CONFIRM_STATUS_CONFIRMED, confirmedLines: 1 });
    expect((await confirm({ orderId })).status).toBe(pb.ConfirmStatus.CONFIRM_STATUS_ALREADY_CONFIRMED);
    const release = call('release');
    expect((await release({ orderId, reason: 'cancelled' })).status).toBe(pb.ReleaseStatus.RELEASE_STATUS_ALREADY_CONFIRMED);
    expect((await release({ orderId: randomUUID(), reason: 'x' })).status).toBe(pb.ReleaseStatus.RELEASE_STATUS_NOT_FOUND);
    expect(await stockRow(pool, p.stockIds.M)).toEqual({ available: 3, reserved: 0, sold: 2 });
    const repeated = await reserve(req);
    expect(repeated.reservations[0].status).toBe(pb.ReservationStatus.RESERVATION_STATUS_CONFIRMED);
  });

  it('a short line rejects the whole order, every failing line listed', async () => {
    const p = await seedProduct(pool, 1);
    const out = await call('reserve')({
      orderId: randomUUID(),
      lines: [
        { lineId: 'a', productId: p.productId, size: '', quantity: 2 },
        { lineId: 'b', productId: randomUUID(), size: '', quantity: 1 },
      ],
    });
    expect(out.status).toBe(pb.ReserveStatus.RESERVE_STATUS_REJECTED);
    expect(out.shortLines.map((l) => [l.lineId, l.code])).toEqual([['b', 'PRODUCT_NOT_FOUND']]);
    expect(out.reservations).toEqual([]);
  });

  it('a non-positive quantity is INVALID_ARGUMENT with code INVALID_QUANTITY', async () => {
    const p = await seedProduct(pool, 1);
    const err = await call('reserve')({ orderId: randomUUID(), lines: [{ lineId: 'a', productId: p.productId, size: '', quantity: 0 }] }).catch((e) => e);
    expect(err).toMatchObject({ kind: 'invalid', code: 'INVALID_QUANTITY' });
  });

  it('200 concurrent callers on 50 units: exactly 50 reserved', async () => {
    const p = await seedProduct(pool, 50);
    const reserve = call('reserve');
    const outs = await Promise.all(
      Array.from({ length: 200 }, () => reserve({ orderId: randomUUID(), lines: [{ lineId: '1', productId: p.productId, size: '', quantity: 1 }] })),
    );
    expect(outs.filter((o) => o.status === pb.ReserveStatus.RESERVE_STATUS_RESERVED)).toHaveLength(50);
    expect(new Set(outs.flatMap((o) => o.shortLines.map((l) => l.code)))).toEqual(new Set(['INSUFFICIENT_STOCK']));
    expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 0, reserved: 50, sold: 0 });
  });
});

describe('ReserveBatch', () => {
  const line = (productId: string, quantity = 1) => ({ lineId: '1', productId, size: '', quantity });
  const responseOf = (r: pb.ReserveBatchResult) => (r.result?.$case === 'response' ? r.result.response : undefined);

  it('answers every entry on its own, in order, as Reserve would; repeating the call repeats the answers', async () => {
    const a = await seedProduct(pool, 3);
    const b = await seedProduct(pool, 1);
    const [o1, o2, o3, o4] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const req = {
      reservations: [
        { orderId: o1, lines: [line(a.productId, 2)] },
        { orderId: o2, lines: [line(b.productId, 2)] },
        { orderId: o3, lines: [line(a.productId, 0)] },
        { orderId: o4, lines: [line(b.productId, 1), { lineId: '2', productId: a.productId, size: '', quantity: 1 }] },
        { orderId: o1, lines: [line(a.productId, 2)] },
      ],
    };
    const out = await call('reserveBatch')(req);
    expect(out.results).toHaveLength(5);
    expect(out.results.map((r) => r.result?.$case)).toEqual(['response', 'response', 'error', 'response', 'response']);
    expect(responseOf(out.results[0])).toMatchObject({ orderId: o1, status: pb.ReserveStatus.RESERVE_STATUS_RESERVED });
    expect(responseOf(out.results[1])).toMatchObject({ orderId: o2, status: pb.ReserveStatus.RESERVE_STATUS_REJECTED });
    expect(responseOf(out.results[1])?.shortLines.map((l) => l.code)).toEqual(['INSUFFICIENT_STOCK']);
    expect(out.results[2].result).toEqual({ $case: 'error', error: { code: 'INVALID_QUANTITY', message: expect.any(String), grpcStatus: 3 } });
    expect(responseOf(out.results[3])).toMatchObject({ orderId: o4, status: pb.ReserveStatus.RESERVE_STATUS_RESERVED });
    // The same order twice in one call: one decision, answered twice.
    expect(responseOf(out.results[4])).toEqual(responseOf(out.results[0]));
    expect(await stockRow(pool, a.stockIds[''])).toEqual({ available: 0, reserved: 3, sold: 0 });
    expect(await stockRow(pool, b.stockIds[''])).toEqual({ available: 0, reserved: 1, sold: 0 });

    const again = await call('reserveBatch')(req);
    expect(again.results.map(responseOf)).toEqual(out.results.map(responseOf));
    const single = await call('reserve')({ orderId: o4, lines: req.reservations[3].lines });
    expect(single).toEqual(responseOf(out.results[3]));
  });

  it('many concurrent calls over a few rows never oversell', async () => {
    const rows = [await seedProduct(pool, 30), await seedProduct(pool, 30)];
    const batch = () => ({ reservations: Array.from({ length: 20 }, (_, i) => ({ orderId: randomUUID(), lines: [line(rows[i % 2].productId)] })) });
    const outs = await Promise.all(Array.from({ length: 5 }, () => call('reserveBatch')(batch())));
    const reserved = outs.flatMap((o) => o.results.map(responseOf)).filter((r) => r?.status === pb.ReserveStatus.RESERVE_STATUS_RESERVED);
    expect(reserved).toHaveLength(60);
    for (const r of rows) expect(await stockRow(pool, r.stockIds[''])).toEqual({ available: 0, reserved: 30, sold: 0 });
  });

  it('more than 1,000 entries is INVALID_ARGUMENT with code TOO_MANY_RESERVATIONS, nothing reserved', async () => {
    const p = await seedProduct(pool, 5);
    const reservations = Array.from({ length: 1001 }, () => ({ orderId: randomUUID(), lines: [line(p.productId)] }));
    await expect(call('reserveBatch')({ reservations })).rejects.toMatchObject({ kind: 'invalid', code: 'TOO_MANY_RESERVATIONS' });
    expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 5, reserved: 0, sold: 0 });
  });
});

describe('catalogue RPCs', () => {
  it('GetProducts returns products (deleted ones flagged) and missing ids', async () => {
    const a = await seedProduct(pool, { S: 2 }, { price: '12.50' });
    const b = await seedProduct(pool, 4);
    await pool.query('UPDATE products SET deleted_at = now() WHERE id = $1', [b.productId]);
    const missing = randomUUID();
    const out = await call('getProducts')({ ids: [a.productId, missing, b.productId, a.productId] });
    expect(out.missingIds).toEqual([missing]);
    expect(out.products.map((p) => [p.id, p.deleted])).toEqual([
      [a.productId, false],
      [b.productId, true],
    ]);
    expect(out.products[0]).toMatchObject({ price: '12.50', hasSizes: true, availableQuantity: 2, sizes: [{ size: 'S', availableQuantity: 2 }] });
  });

  it('a sale price travels as current_price (what carts and orders charge), in products, availability and snapshots', async () => {
    const a = await seedProduct(pool, { S: 2 }, { price: '20.00' });
    await pool.query(`UPDATE products SET sale_price = 15.00, images = ARRAY['https://e.example/1.jpg'] WHERE id = $1`, [a.productId]);
    const { products } = await call('getProducts')({ ids: [a.productId] });
    expect(products[0]).toMatchObject({ price: '20.00', salePrice: '15.00', currentPrice: '15.00', images: ['https://e.example/1.jpg'] });
    expect(products[0].sizes[0].sizeId).toBe(a.stockIds.S);
    const { lines } = await call('checkAvailability')({ lines: [{ productId: a.productId, size: 'S', quantity: 1 }] });
    expect(lines[0]).toMatchObject({ price: '20.00', currentPrice: '15.00' });
    const { snapshots } = await call('createSnapshots')({ items: [{ productId: a.productId, size: 'S' }], reason: 'order:o-sale' });
    expect(snapshots[0]).toMatchObject({ price: '20.00', salePrice: '15.00', currentPrice: '15.00' });
    // Without a sale: no sale_price, current_price is the price.
    const b = await seedProduct(pool, 1, { price: '9.00' });
    const plain = (await call('getProducts')({ ids: [b.productId] })).products[0];
    expect(plain.salePrice).toBeUndefined();
    expect(plain.currentPrice).toBe('9.00');
  });

  it('CheckAvailability reports each line in order, reserving nothing', async () => {
    const a = await seedProduct(pool, { S: 2 }, { price: '5.00' });
    const out = await call('checkAvailability')({
      lines: [
        { productId: a.productId, size: 'S', quantity: 2 },
        { productId: a.productId, size: 'S', quantity: 3 },
        { productId: a.productId, size: '', quantity: 1 },
        { productId: a.productId, size: 'XL', quantity: 1 },
        { productId: randomUUID(), size: '', quantity: 1 },
      ],
    });
    expect(out.allAvailable).toBe(false);
    expect(out.lines.map((l) => [l.available, l.code, l.availableQuantity])).toEqual([
      [true, '', 2],
      [false, 'INSUFFICIENT_STOCK', 2],
      [false, 'SIZE_REQUIRED', 0],
      [false, 'SIZE_NOT_FOUND', 0],
      [false, 'PRODUCT_NOT_FOUND', 0],
    ]);
    expect(out.lines[0]).toMatchObject({ price: '5.00', productName: expect.stringContaining('test product') });
    expect(await stockRow(pool, a.stockIds.S)).toEqual({ available: 2, reserved: 0, sold: 0 });
  });

  it('CreateSnapshots freezes products; GetSnapshot reads one; unknown ids are NOT_FOUND', async () => {
    const a = await seedProduct(pool, { S: 2 }, { price: '7.25' });
    const created = await call('createSnapshots')({ items: [{ productId: a.productId, size: 'S' }], reason: 'order:o-1' });
    expect(created.snapshots[0]).toMatchObject({ productId: a.productId, size: 'S', price: '7.25', reason: 'order:o-1' });
    // The product as it stood, for order to decide the line from (GetSnapshot does not answer it).
    expect(created.snapshots[0].productState).toEqual({ deleted: false, hasSizes: true, sizes: ['S'] });
    await pool.query(`UPDATE products SET price = 9.99 WHERE id = $1`, [a.productId]);
    const got = await call('getSnapshot')({ snapshotId: created.snapshots[0].snapshotId });
    expect(got.snapshot).toEqual({ ...created.snapshots[0], productState: undefined });
    const missing = randomUUID();
    await expect(call('createSnapshots')({ items: [{ productId: missing, size: '' }], reason: 'x' })).rejects.toMatchObject({
      kind: 'not_found',
      code: 'PRODUCT_NOT_FOUND',
      details: { missing_ids: [missing] },
    });
    await expect(call('getSnapshot')({ snapshotId: randomUUID() })).rejects.toMatchObject({ code: 'SNAPSHOT_NOT_FOUND' });
  });
});
