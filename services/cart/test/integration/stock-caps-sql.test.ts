// The catalogue sync's two statements for a stock movement (CartStore.claimIfNoneBeyondCaps and
// lockItemsBeyondCaps) against real PostgreSQL: on random carts, over sizes listed and not, they
// find exactly the lines a brute-force reading of the caps finds (stockCaps' meaning: a line is
// beyond when its quantity passes its size's cap, and a size not listed has none), and only
// those of the product, not synced after the event.
import { randomUUID } from 'node:crypto';
import { createSql, pgConfigFromUrl, type Sql } from '@sudamall/shared';
import { Client } from 'pg';
import { CartStore, CLAIM_IF_NONE_BEYOND_CAPS } from '../../src/infra/cart-store';
import { DATABASE_URL } from '../support/harness';

let sql: Sql;
let store: CartStore;
const SIZES = ['', 'L', 'M', 'S', 'XL', 'XXL'];

beforeAll(() => {
  sql = createSql(DATABASE_URL, 2);
  store = new CartStore(sql);
});
afterAll(async () => {
  await sql.close();
});

// A small deterministic generator, so a failure names a case that can be run again.
function generator(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % n;
  };
}

interface Line {
  id: string;
  size: string;
  quantity: number;
  syncedAt: Date;
}

/** A new cart, its id. */
async function newCart(): Promise<string> {
  const cartId = randomUUID();
  await sql.execute('INSERT INTO carts (id, user_id) VALUES ($1::uuid, $2)', [cartId, `caps-${cartId}`]);
  return cartId;
}

/** One line of a cart: a new id, priced 10 as added and now. */
async function addLine(cartId: string, productId: string, line: Omit<Line, 'id'>): Promise<string> {
  const id = randomUUID();
  await sql.execute(
    `INSERT INTO cart_items (id, cart_id, product_id, product_name, size, quantity, price_when_added, current_price, synced_at)
     VALUES ($1::uuid, $2::uuid, $3, 'Caps test', $4, $5, 10, 10, $6)`,
    [id, cartId, productId, line.size, line.quantity, line.syncedAt],
  );
  return id;
}

/** `count` carts holding the product in random sizes, quantities and sync times, and a line of another product in each. */
async function seed(productId: string, count: number, rand: (n: number) => number): Promise<Line[]> {
  const lines: Line[] = [];
  for (let c = 0; c < count; c++) {
    const cartId = await newCart();
    const sizes = SIZES.filter(() => rand(3) === 0);
    for (const size of sizes) {
      const line = { size, quantity: 1 + rand(6), syncedAt: new Date(Date.UTC(2026, 11, 8, 0, rand(60))) };
      lines.push({ id: await addLine(cartId, productId, line), ...line });
    }
    await addLine(cartId, `other-${productId}`, { size: 'M', quantity: 9, syncedAt: new Date() });
  }
  return lines;
}

it("finds exactly the lines above their size's cap, over sizes listed and not, in 40 random cases", async () => {
  for (let n = 0; n < 40; n++) {
    const rand = generator(n + 1);
    const productId = `caps-${randomUUID()}`;
    const lines = await seed(productId, 4 + rand(8), rand);
    const listed = SIZES.filter(() => rand(2) === 0);
    const caps = { sizes: listed, available: listed.map(() => rand(5)) };
    const notSyncedAfter = rand(3) === 0 ? null : new Date(Date.UTC(2026, 11, 8, 0, rand(60)));
    const capOf = (size: string) => {
      const at = caps.sizes.indexOf(size);
      return at < 0 ? 0 : caps.available[at];
    };
    const expected = lines
      .filter((l) => l.quantity > capOf(l.size) && (notSyncedAfter === null || l.syncedAt <= notSyncedAfter))
      .map((l) => l.id)
      .sort();

    const locked = await sql.transaction((tx) => store.lockItemsBeyondCaps(tx, productId, notSyncedAfter, caps));
    expect({ case: n, ids: locked.map((i) => i.id) }).toEqual({ case: n, ids: expected });

    const eventId = randomUUID();
    const claim = await store.claimIfNoneBeyondCaps('cart-catalog-sync', eventId, productId, notSyncedAfter, caps);
    expect({ case: n, claim }).toEqual({ case: n, claim: expected.length > 0 ? 'beyond' : 'claimed' });
  }
});

it('finds every line of a product whose facts list no size at all', async () => {
  const productId = `caps-${randomUUID()}`;
  const lines = await seed(productId, 6, generator(99));
  const locked = await sql.transaction((tx) => store.lockItemsBeyondCaps(tx, productId, null, { sizes: [], available: [] }));
  expect(locked.map((i) => i.id)).toEqual(lines.map((l) => l.id).sort());
});

it("reads none of the product's lines while stock lasts, whatever the plan cache does", async () => {
  // Twice per checkout: before, the statement read every line of the product (300 in the checkout
  // bench), so its cost grew with the carts holding it. A generic plan knows no parameter values.
  const productId = `caps-${randomUUID()}`;
  for (let c = 0; c < 100; c++) {
    const cartId = await newCart();
    for (const size of ['S', 'M', 'L']) await addLine(cartId, productId, { size, quantity: 2, syncedAt: new Date() });
  }
  const db = new Client(pgConfigFromUrl(DATABASE_URL));
  await db.connect();
  try {
    await db.query('ANALYZE cart_items');
    await db.query('SET plan_cache_mode = force_generic_plan');
    await db.query(`PREPARE claim_caps(text, timestamptz, text[], int[], text, uuid) AS ${CLAIM_IF_NONE_BEYOND_CAPS}`);
    await db.query('BEGIN');
    const { rows } = await db.query<{ 'QUERY PLAN': unknown }>(
      // EXPLAIN takes no bind parameters; the product id is a uuid-shaped literal.
      `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE claim_caps('${productId}', now(), ARRAY['S','M','L'], ARRAY[5,5,5], 'cart-catalog-sync', gen_random_uuid())`,
    );
    await db.query('ROLLBACK');
    // Every scan of cart_items, and the rows it returned: a probe per size the lines hold (and one
    // past the last), then each size's range above its cap, empty. Reading the product's lines
    // would be 300.
    const scans: Array<{ rows: number; loops: number }> = [];
    const walk = (node: Record<string, unknown>) => {
      if (node['Relation Name'] === 'cart_items') scans.push({ rows: node['Actual Rows'] as number, loops: node['Actual Loops'] as number });
      for (const child of (node.Plans as Array<Record<string, unknown>> | undefined) ?? []) walk(child);
    };
    walk((rows[0]['QUERY PLAN'] as Array<{ Plan: Record<string, unknown> }>)[0].Plan);
    const read = scans.reduce((sum, s) => sum + s.rows * s.loops, 0);
    expect(scans.length).toBeGreaterThan(0);
    expect(read).toBeLessThanOrEqual(6);
  } finally {
    await db.end();
  }
});
