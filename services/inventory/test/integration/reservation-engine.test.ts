// The reservation engine against the real PostgreSQL and Redis: overselling, idempotency,
// all-or-nothing, errors, Redis outage, conservation, and locks that expire mid-operation.
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { DomainError } from '@sudamall/shared';
import type { ReserveOutcome } from '../../src/domain/reservation';
import { seedProduct, startEngine, stockRow, testPool, type EngineHarness } from '../support/fixtures';

let pool: Pool;
let h: EngineHarness;

beforeAll(async () => {
  pool = testPool(12);
  h = await startEngine(pool);
});
afterAll(async () => {
  await h.close();
  await pool.end();
});

const line = (product_id: string, quantity: number, size: string | null = null, line_id = 'l1') => ({
  line_id,
  product_id,
  size,
  quantity,
});

function countBy(outcomes: ReserveOutcome[]) {
  const reserved = outcomes.filter((o) => o.status === 'reserved').length;
  const rejected = outcomes.filter((o) => o.status === 'rejected');
  return { reserved, rejected: rejected.length, codes: new Set(rejected.map((o) => (o.status === 'rejected' ? o.code : ''))) };
}

describe('concurrent reservations', () => {
  it('with leases on, 200 orders on 50 units still reserve exactly 50, and the lease is given back', async () => {
    const leasing = await startEngine(pool, { leaseMaxMs: 200 });
    try {
      const p = await seedProduct(pool, 50);
      const outcomes = await Promise.all(Array.from({ length: 200 }, () => leasing.engine.reserve({ order_id: randomUUID(), lines: [line(p.productId, 1)] })));
      expect(countBy(outcomes).reserved).toBe(50);
      await leasing.engine.drain();
      await new Promise((r) => setTimeout(r, 50));
      expect(await leasing.redis.exists(leasing.locks.keyOf(p.stockIds['']))).toBe(0);
    } finally {
      await leasing.close();
    }
  });

  it('200 orders of 1 unit on a product with 50 units: exactly 50 reserved, 150 INSUFFICIENT_STOCK', async () => {
    const p = await seedProduct(pool, 50);
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => h.engine.reserve({ order_id: randomUUID(), lines: [line(p.productId, 1)] })));
    const c = countBy(outcomes);
    expect(c.reserved).toBe(50);
    expect(c.rejected).toBe(150);
    expect([...c.codes]).toEqual(['INSUFFICIENT_STOCK']);
    expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 0, reserved: 50, sold: 0 });
    const { rows } = await pool.query('SELECT count(*)::int AS n, sum(quantity)::int AS q FROM reservations WHERE stock_id = $1', [p.stockIds['']]);
    expect(rows[0]).toEqual({ n: 50, q: 50 });
    // Every lock is given back once the queue is empty.
    await h.engine.drain();
    await new Promise((r) => setTimeout(r, 50));
    expect(await h.redis.exists(h.locks.keyOf(p.stockIds['']))).toBe(0);
  });

  it('the same on one size of a sized product, other sizes untouched', async () => {
    const p = await seedProduct(pool, { S: 5, M: 50, L: 7 });
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => h.engine.reserve({ order_id: randomUUID(), lines: [line(p.productId, 1, 'M')] })));
    const c = countBy(outcomes);
    expect(c.reserved).toBe(50);
    expect(c.rejected).toBe(150);
    expect([...c.codes]).toEqual(['INSUFFICIENT_STOCK']);
    expect(await stockRow(pool, p.stockIds.M)).toEqual({ available: 0, reserved: 50, sold: 0 });
    expect(await stockRow(pool, p.stockIds.S)).toEqual({ available: 5, reserved: 0, sold: 0 });
    expect(await stockRow(pool, p.stockIds.L)).toEqual({ available: 7, reserved: 0, sold: 0 });
  });

  it('two engines whose locks do not exclude each other (lost locks) still cannot oversell', async () => {
    // Distinct lock namespaces model the worst case: every lock "expired", both hold the row.
    const other = await startEngine(pool, { namespace: `other:${randomUUID()}:` });
    try {
      const p = await seedProduct(pool, 40);
      const calls = Array.from({ length: 160 }, (_, i) =>
        (i % 2 === 0 ? h.engine : other.engine).reserve({ order_id: randomUUID(), lines: [line(p.productId, 1)] }),
      );
      const c = countBy(await Promise.all(calls));
      expect(c.reserved).toBe(40);
      expect(c.rejected).toBe(120);
      expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 0, reserved: 40, sold: 0 });
    } finally {
      await other.close();
    }
  });

  it('a lock that expires mid-batch (tiny TTL, stalled holder) cannot oversell', async () => {
    const p = await seedProduct(pool, 10);
    // This engine's batches stall past their 20 ms lock TTL before writing, so the fast engine
    // (same namespace) takes the row meanwhile and the slow batch's plan goes stale.
    const namespace = `shared:${randomUUID()}:`;
    const slow = await startEngine(pool, { namespace, lockTtlMs: 20, beforeWrite: () => new Promise((r) => setTimeout(r, 60)) });
    const fast = await startEngine(pool, { namespace, lockTtlMs: 20 });
    try {
      const calls = Array.from({ length: 60 }, (_, i) =>
        (i % 2 === 0 ? slow.engine : fast.engine).reserve({ order_id: randomUUID(), lines: [line(p.productId, 1)] }),
      );
      const c = countBy(await Promise.all(calls));
      expect(c.reserved).toBe(10);
      expect(c.rejected).toBe(50);
      expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 0, reserved: 10, sold: 0 });
    } finally {
      await slow.close();
      await fast.close();
    }
  });
});

describe('two processes on one hot row', () => {
  it('both make progress under sustained load (leases yield), and the counts add up', async () => {
    const namespace = `fair:${randomUUID()}:`;
    const a = await startEngine(pool, { namespace, leaseMaxMs: 200 });
    const b = await startEngine(pool, { namespace, leaseMaxMs: 200 });
    try {
      const p = await seedProduct(pool, 100_000);
      const until = Date.now() + 1500;
      const errors: unknown[] = [];
      const run = async (engine: typeof a.engine) => {
        let ok = 0;
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            while (Date.now() < until) {
              try {
                const out = await engine.reserve({ order_id: randomUUID(), lines: [line(p.productId, 1)] });
                if (out.status === 'reserved') ok++;
              } catch (e) {
                errors.push(e);
              }
            }
          }),
        );
        return ok;
      };
      const [okA, okB] = await Promise.all([run(a.engine), run(b.engine)]);
      expect(errors).toEqual([]);
      expect(okA).toBeGreaterThan(0);
      expect(okB).toBeGreaterThan(0);
      expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 100_000 - okA - okB, reserved: okA + okB, sold: 0 });
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('idempotency by order id', () => {
  it('a retried Reserve returns the first outcome and never reserves twice', async () => {
    const p = await seedProduct(pool, 10);
    const orderId = randomUUID();
    const req = { order_id: orderId, lines: [line(p.productId, 3)] };
    const first = await h.engine.reserve(req);
    const [again1, again2] = await Promise.all([h.engine.reserve(req), h.engine.reserve(req)]);
    expect(first.status).toBe('reserved');
    expect(again1).toEqual(first);
    expect(again2).toEqual(first);
    expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 7, reserved: 3, sold: 0 });
  });

  it('concurrent first attempts of the same order reserve once', async () => {
    const p = await seedProduct(pool, 10);
    const req = { order_id: randomUUID(), lines: [line(p.productId, 2)] };
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => h.engine.reserve(req)));
    const ids = new Set(outcomes.map((o) => (o.status === 'reserved' ? o.lines[0].reservation_id : 'x')));
    expect(ids.size).toBe(1);
    expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 8, reserved: 2, sold: 0 });
  });

  it('a rejection is remembered: a retry after a restock is still rejected', async () => {
    const p = await seedProduct(pool, 1);
    const req = { order_id: randomUUID(), lines: [line(p.productId, 2)] };
    const first = await h.engine.reserve(req);
    await pool.query('UPDATE stock SET available = 10 WHERE id = $1', [p.stockIds['']]);
    expect(await h.engine.reserve(req)).toEqual(first);
    expect(first).toMatchObject({ status: 'rejected', code: 'INSUFFICIENT_STOCK' });
  });
});

describe('all or nothing across lines', () => {
  it('a multi-line reservation with one short line reserves nothing', async () => {
    const a = await seedProduct(pool, 10);
    const b = await seedProduct(pool, { S: 1, M: 4 });
    const out = await h.engine.reserve({
      order_id: randomUUID(),
      lines: [line(a.productId, 2, null, 'a'), line(b.productId, 3, 'S', 'b'), line(b.productId, 1, 'M', 'c')],
    });
    expect(out).toEqual({
      order_id: expect.any(String),
      status: 'rejected',
      code: 'INSUFFICIENT_STOCK',
      short_lines: [{ line_id: 'b', product_id: b.productId, size: 'S', requested: 3, available: 1, code: 'INSUFFICIENT_STOCK' }],
    });
    expect(await stockRow(pool, a.stockIds[''])).toEqual({ available: 10, reserved: 0, sold: 0 });
    expect(await stockRow(pool, b.stockIds.S)).toEqual({ available: 1, reserved: 0, sold: 0 });
    expect(await stockRow(pool, b.stockIds.M)).toEqual({ available: 4, reserved: 0, sold: 0 });
  });

  it('a multi-line reservation that fits reserves every line', async () => {
    const a = await seedProduct(pool, 10);
    const b = await seedProduct(pool, { S: 1, M: 4 });
    const out = await h.engine.reserve({
      order_id: randomUUID(),
      lines: [line(b.productId, 1, 'M', 'c'), line(a.productId, 2, null, 'a'), line(b.productId, 1, 'S', 'b')],
    });
    expect(out.status).toBe('reserved');
    expect(await stockRow(pool, a.stockIds[''])).toEqual({ available: 8, reserved: 2, sold: 0 });
    expect(await stockRow(pool, b.stockIds.S)).toEqual({ available: 0, reserved: 1, sold: 0 });
  });

  it('two lines on the same row count together', async () => {
    const a = await seedProduct(pool, 3);
    const out = await h.engine.reserve({
      order_id: randomUUID(),
      lines: [line(a.productId, 2, null, 'x'), line(a.productId, 2, null, 'y')],
    });
    expect(out.status).toBe('rejected');
    expect(await stockRow(pool, a.stockIds[''])).toEqual({ available: 3, reserved: 0, sold: 0 });
  });
});

describe('each mistake has its own error', () => {
  async function rejectedCode(lines: unknown[]) {
    const out = await h.engine.reserve({ order_id: randomUUID(), lines });
    return out.status === 'rejected' ? out.code : 'reserved';
  }

  it('unknown product, unknown size, size required, size not allowed, deleted product', async () => {
    const plain = await seedProduct(pool, 5);
    const sized = await seedProduct(pool, { S: 5 });
    const gone = await seedProduct(pool, 5);
    await pool.query('UPDATE products SET deleted_at = now() WHERE id = $1', [gone.productId]);
    expect(await rejectedCode([line(randomUUID(), 1)])).toBe('PRODUCT_NOT_FOUND');
    expect(await rejectedCode([line('not-a-uuid', 1)])).toBe('PRODUCT_NOT_FOUND');
    expect(await rejectedCode([line(sized.productId, 1, 'XXL')])).toBe('SIZE_NOT_FOUND');
    expect(await rejectedCode([line(sized.productId, 1)])).toBe('SIZE_REQUIRED');
    expect(await rejectedCode([line(plain.productId, 1, 'M')])).toBe('SIZE_NOT_ALLOWED');
    expect(await rejectedCode([line(gone.productId, 1)])).toBe('PRODUCT_UNAVAILABLE');
  });

  it('a product deleted after it was cached is still refused', async () => {
    const p = await seedProduct(pool, 5);
    expect(await rejectedCode([line(p.productId, 1)])).toBe('reserved');
    await pool.query('UPDATE products SET deleted_at = now() WHERE id = $1', [p.productId]);
    expect(await rejectedCode([line(p.productId, 1)])).toBe('PRODUCT_UNAVAILABLE');
  });

  it.each([0, -1, 1.5])('quantity %p is INVALID_QUANTITY and changes nothing', async (q) => {
    const p = await seedProduct(pool, 5);
    await expect(h.engine.reserve({ order_id: randomUUID(), lines: [line(p.productId, q)] })).rejects.toMatchObject({
      kind: 'invalid',
      code: 'INVALID_QUANTITY',
    });
    expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 5, reserved: 0, sold: 0 });
  });
});

describe('Redis unreachable', () => {
  it('fails with 503 LOCK_UNAVAILABLE and changes nothing', async () => {
    const p = await seedProduct(pool, 5);
    const down = await startEngine(pool, { redisUrl: 'redis://127.0.0.1:1', waitForRedis: false });
    try {
      const orderId = randomUUID();
      const err = await down.engine.reserve({ order_id: orderId, lines: [line(p.productId, 1)] }).catch((e) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ kind: 'unavailable', code: 'LOCK_UNAVAILABLE' });
      expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 5, reserved: 0, sold: 0 });
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM reserve_outcomes WHERE order_id = $1', [orderId]);
      expect(rows[0].n).toBe(0);
    } finally {
      await down.close();
    }
  });
});

describe('confirm and release', () => {
  it('move reserved stock to sold / back to available, idempotently', async () => {
    const p = await seedProduct(pool, 10);
    const a = randomUUID();
    const b = randomUUID();
    await h.engine.reserve({ order_id: a, lines: [line(p.productId, 3)] });
    await h.engine.reserve({ order_id: b, lines: [line(p.productId, 2)] });
    expect(await h.reservations.confirm.execute(a)).toEqual({ order_id: a, status: 'confirmed', lines: 1 });
    expect(await h.reservations.confirm.execute(a)).toEqual({ order_id: a, status: 'already_confirmed', lines: 0 });
    expect(await h.reservations.release.execute(a, 'cancelled')).toEqual({ order_id: a, status: 'already_confirmed', lines: 0 });
    expect(await h.reservations.release.execute(b, 'payment_timeout')).toEqual({ order_id: b, status: 'released', lines: 1 });
    expect(await h.reservations.release.execute(b, 'payment_timeout')).toEqual({ order_id: b, status: 'already_released', lines: 0 });
    expect(await h.reservations.confirm.execute(b)).toEqual({ order_id: b, status: 'already_released', lines: 0 });
    expect(await h.reservations.confirm.execute(randomUUID())).toMatchObject({ status: 'not_found' });
    expect(await h.reservations.release.execute(randomUUID(), 'x')).toMatchObject({ status: 'not_found' });
    expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 7, reserved: 0, sold: 3 });
    const again = await h.engine.reserve({ order_id: a, lines: [line(p.productId, 3)] });
    expect(again.status === 'reserved' && again.lines[0].status).toBe('confirmed');
  });

  it('concurrent confirms of one order confirm once', async () => {
    const p = await seedProduct(pool, 10);
    const a = randomUUID();
    await h.engine.reserve({ order_id: a, lines: [line(p.productId, 4)] });
    const results = await Promise.all(Array.from({ length: 8 }, () => h.reservations.confirm.execute(a)));
    expect(results.filter((r) => r.status === 'confirmed')).toHaveLength(1);
    expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 6, reserved: 0, sold: 4 });
  });

  it('the sweeper releases expired reservations only', async () => {
    const p = await seedProduct(pool, 10);
    const old = randomUUID();
    const fresh = randomUUID();
    await h.engine.reserve({ order_id: old, lines: [line(p.productId, 2)], ttl_seconds: 1 });
    await h.engine.reserve({ order_id: fresh, lines: [line(p.productId, 3)] });
    await pool.query(`UPDATE reservations SET expires_at = now() - interval '1 second' WHERE order_id = $1`, [old]);
    // The shared test database may hold older expired reservations too: sweep until none is left.
    while ((await h.reservations.releaseExpired.execute(500)) > 0);
    expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 7, reserved: 3, sold: 0 });
    expect(await h.reservations.confirm.execute(old)).toMatchObject({ status: 'already_released' });
  });
});

describe('conservation', () => {
  it('available + reserved + sold only changes by adjustments after a mixed run', async () => {
    const p = await seedProduct(pool, { S: 30, M: 30 });
    const orders: string[] = [];
    await Promise.all(
      Array.from({ length: 120 }, async (_, i) => {
        const orderId = randomUUID();
        const out = await h.engine.reserve({
          order_id: orderId,
          lines: [line(p.productId, 1 + (i % 3), i % 2 ? 'S' : 'M', 'a'), ...(i % 5 === 0 ? [line(p.productId, 1, 'S', 'b')] : [])],
        });
        if (out.status !== 'reserved') return;
        orders.push(orderId);
        if (i % 3 === 0) await h.reservations.confirm.execute(orderId);
        else if (i % 3 === 1) await h.reservations.release.execute(orderId, 'cancelled');
      }),
    );
    const { rows } = await pool.query(
      `SELECT s.id, s.available + s.reserved + s.sold AS total, s.reserved,
              (SELECT sum(delta) FROM stock_adjustments a WHERE a.stock_id = s.id)::int AS adjusted,
              (SELECT coalesce(sum(quantity), 0) FROM reservations r WHERE r.stock_id = s.id AND r.status = 'reserved')::int AS held,
              (SELECT coalesce(sum(quantity), 0) FROM reservations r WHERE r.stock_id = s.id AND r.status = 'confirmed')::int AS sold_by_orders,
              s.sold
         FROM stock s WHERE s.product_id = $1`,
      [p.productId],
    );
    expect(orders.length).toBeGreaterThan(10);
    for (const r of rows) {
      expect(r.total).toBe(r.adjusted);
      expect(r.reserved).toBe(r.held);
      expect(r.sold).toBe(r.sold_by_orders);
    }
  });
});

describe('events through the outbox', () => {
  it('writes stock.reserved / stock.rejected keyed by order and stock.changed keyed by product', async () => {
    const p = await seedProduct(pool, { S: 1 });
    const ok = randomUUID();
    const ko = randomUUID();
    await h.engine.reserve({ order_id: ok, lines: [line(p.productId, 1, 'S')] });
    await h.engine.reserve({ order_id: ko, lines: [line(p.productId, 1, 'S')] });
    const { rows } = await pool.query(
      // One statement writes them all, so their relative order is not defined: sort by type.
      `SELECT key, type, payload FROM outbox WHERE key = ANY($1) ORDER BY type DESC`,
      [[ok, ko, p.productId]],
    );
    expect(rows.map((r) => [r.key, r.type])).toEqual([
      [ok, 'stock.reserved'],
      [ko, 'stock.rejected'],
      [p.productId, 'stock.changed'],
    ]);
    expect(rows[0].payload.data.lines[0]).toMatchObject({ product_id: p.productId, size: 'S', quantity: 1 });
    expect(rows[2].payload).toMatchObject({ type: 'stock.changed', key: p.productId, version: 1 });
    expect(rows[2].payload.data).toEqual({
      product_id: p.productId,
      has_sizes: true,
      available_quantity: 0,
      reserved_quantity: 1,
      sold_quantity: 0,
      sizes: [{ size: 'S', available_quantity: 0, reserved_quantity: 1, sold_quantity: 0 }],
    });
    expect(rows[1].payload.data).toMatchObject({ order_id: ko, code: 'INSUFFICIENT_STOCK' });
  });
});

describe('a confirmation that comes too late', () => {
  it('answers stock.rejected when the reservation was released first, so the saga refunds instead of waiting', async () => {
    const p = await seedProduct(pool, 5);
    const orderId = randomUUID();
    await h.engine.reserve({ order_id: orderId, lines: [line(p.productId, 2)] });
    await h.reservations.release.execute(orderId, 'payment_timeout');
    expect(await h.reservations.confirm.execute(orderId)).toEqual({ order_id: orderId, status: 'already_released', lines: 0 });
    const never = randomUUID();
    expect(await h.reservations.confirm.execute(never)).toMatchObject({ status: 'not_found' });
    const { rows } = await pool.query(`SELECT key, payload FROM outbox WHERE key = ANY($1) AND type = 'stock.rejected' ORDER BY id`, [[orderId, never]]);
    expect(rows.map((r) => [r.key, r.payload.data.code])).toEqual([
      [orderId, 'RESERVATION_RELEASED'],
      [never, 'RESERVATION_NOT_FOUND'],
    ]);
    // Nothing was sold: the stock is back where it started.
    expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 5, reserved: 0, sold: 0 });
  });
});

describe('re-sent commands', () => {
  it('announceRepeat answers an already-decided order again, changing nothing', async () => {
    const p = await seedProduct(pool, 5);
    const reserved = { order_id: randomUUID(), lines: [line(p.productId, 1)] };
    const unknown = { order_id: randomUUID(), lines: [line(randomUUID(), 1)] };
    const first = await h.engine.reserve(reserved);
    const firstRejected = await h.engine.reserve(unknown);
    expect(await h.engine.reserve(reserved, { announceRepeat: true })).toEqual(first);
    expect(await h.engine.reserve(unknown, { announceRepeat: true })).toEqual(firstRejected);
    const { rows } = await pool.query(`SELECT key, type, count(*)::int AS n FROM outbox WHERE key = ANY($1) GROUP BY key, type ORDER BY type`, [
      [reserved.order_id, unknown.order_id],
    ]);
    expect(rows).toEqual([
      { key: unknown.order_id, type: 'stock.rejected', n: 2 },
      { key: reserved.order_id, type: 'stock.reserved', n: 2 },
    ]);
    expect(await stockRow(pool, p.stockIds[''])).toEqual({ available: 4, reserved: 1, sold: 0 });
  });
});
