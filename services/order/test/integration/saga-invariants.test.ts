import { randomUUID } from 'node:crypto';
import { DomainError, type AnyEnvelope, type ReserveLine } from '@sudamall/shared';
import { eventually } from '@sudamall/shared/testing';
import { startHarness, type Harness } from '../fixtures/harness';

// Many concurrent checkouts with random outcomes (paid in time, paid after the window, declined
// then paid, cancelled by the buyer, never paid, not enough stock), against simulated inventory
// and payment participants that behave like the real ones (idempotent, silent where the real
// ones are silent). At the end the invariants the saga promises must hold.

const ORDERS = 100;
const PRODUCTS = 8;
const STOCK_PER_PRODUCT = 20;

let h: Harness;
beforeAll(async () => {
  // The payment window is the default 15 minutes; the test moves the service's clock past it
  // instead of sleeping, so a slow, busy machine cannot turn prompt payers into late ones.
  h = await startHarness({ env: { SAGA_SWEEP_INTERVAL_MS: '100' } });
});
afterAll(async () => {
  await h?.close();
});

interface Stock {
  available: number;
  reserved: number;
  sold: number;
}
type Reservation = { status: 'reserved' | 'confirmed' | 'released' | 'rejected'; lines: ReserveLine[] };
type Payment = { status: 'completed' | 'refunded'; paymentId: string };

const stock = new Map<string, Stock>();
/** Every reply published, so the test can wait until the service has consumed them all. */
const published: string[] = [];
async function publish<T extends Parameters<Harness['publish']>[1]>(
  topic: Parameters<Harness['publish']>[0],
  type: T,
  data: Parameters<Harness['publish']>[2] & object,
) {
  const e = await h.publish(topic, type, data as never);
  published.push(e.id);
}
const reservations = new Map<string, Reservation>();
const payments = new Map<string, Payment>();

/** Inventory and payment as the order service sees them over Kafka. */
async function participant(e: AnyEnvelope): Promise<void> {
  const orderId = e.key;
  switch (e.type) {
    case 'inventory.reserve': {
      const existing = reservations.get(orderId);
      if (!existing) {
        const short = e.data.lines.filter((l) => stock.get(l.product_id)!.available < l.quantity);
        if (short.length === 0) {
          for (const l of e.data.lines) {
            const s = stock.get(l.product_id)!;
            s.available -= l.quantity;
            s.reserved += l.quantity;
          }
          reservations.set(orderId, { status: 'reserved', lines: e.data.lines });
        } else {
          reservations.set(orderId, { status: 'rejected', lines: e.data.lines });
        }
      }
      const r = reservations.get(orderId)!;
      if (r.status === 'rejected') {
        const short_lines = r.lines.map((l) => ({ ...l, requested: l.quantity, available: stock.get(l.product_id)!.available, code: 'INSUFFICIENT_STOCK' }));
        await publish('inventory.events', 'stock.rejected', { order_id: orderId, code: 'INSUFFICIENT_STOCK', short_lines });
      } else {
        await publish('inventory.events', 'stock.reserved', {
          order_id: orderId,
          lines: r.lines.map((l) => ({ ...l, reservation_id: `${orderId}:${l.line_id}` })),
        });
      }
      return;
    }
    case 'inventory.confirm': {
      const r = reservations.get(orderId);
      if (r?.status === 'reserved') {
        for (const l of r.lines) {
          const s = stock.get(l.product_id)!;
          s.reserved -= l.quantity;
          s.sold += l.quantity;
        }
        r.status = 'confirmed';
      }
      if (r?.status === 'confirmed') await publish('inventory.events', 'stock.confirmed', { order_id: orderId });
      return; // released or unknown: silent, like inventory
    }
    case 'inventory.release': {
      const r = reservations.get(orderId);
      if (r?.status === 'reserved') {
        for (const l of r.lines) {
          const s = stock.get(l.product_id)!;
          s.reserved -= l.quantity;
          s.available += l.quantity;
        }
        r.status = 'released';
      }
      if (r?.status === 'released') await publish('inventory.events', 'stock.released', { order_id: orderId, reason: e.data.reason });
      return; // rejected, confirmed or unknown: silent
    }
    case 'payment.void': {
      if (!payments.has(orderId)) await publish('payment.events', 'payment.voided', { payment_id: null, order_id: orderId, reason: e.data.reason });
      return; // a completed payment cannot be voided: silent, like payment
    }
    case 'payment.refund': {
      const p = payments.get(orderId);
      if (p?.status === 'completed') {
        p.status = 'refunded';
        await publish('payment.events', 'payment.refunded', {
          payment_id: p.paymentId,
          order_id: orderId,
          refund_id: randomUUID(),
          amount: '1.00',
          reason: e.data.reason,
        });
      }
      return;
    }
    default:
      return;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)];

async function statusOf(orderId: string) {
  return (await h.c.db.order.findUniqueOrThrow({ where: { id: orderId }, select: { status: true } })).status;
}

async function untilLeavesPending(orderId: string) {
  for (let i = 0; i < 200; i++) {
    const s = await statusOf(orderId);
    if (s !== 'pending') return s;
    await sleep(100);
  }
  return statusOf(orderId);
}

async function charge(orderId: string, userId: string) {
  const paymentId = randomUUID();
  payments.set(orderId, { status: 'completed', paymentId });
  await publish('payment.events', 'payment.succeeded', {
    payment_id: paymentId,
    order_id: orderId,
    user_id: userId,
    gateway: 'test_gateway',
    amount: '1.00',
    gateway_fee: '0.00',
    total_amount: '1.00',
  });
}

type Behaviour = 'pay' | 'pay_late' | 'decline_then_pay' | 'cancel' | 'never_pay';
const BEHAVIOURS: Behaviour[] = ['pay', 'pay', 'pay', 'pay_late', 'decline_then_pay', 'cancel', 'never_pay'];

async function buyer(orderId: string, userId: string, behaviour: Behaviour) {
  const status = await untilLeavesPending(orderId);
  if (status !== 'under_paying') return; // rejected for stock
  switch (behaviour) {
    case 'pay':
      await sleep(Math.random() * 300);
      // Like payment's GetOrderForPayment check: only an order awaiting payment is charged...
      if ((await statusOf(orderId)) === 'under_paying') await charge(orderId, userId);
      return;
    case 'decline_then_pay':
      await publish('payment.events', 'payment.failed', { payment_id: randomUUID(), order_id: orderId, attempt_number: 1, reason: 'card_declined' });
      await sleep(Math.random() * 300);
      if ((await statusOf(orderId)) === 'under_paying') await charge(orderId, userId);
      return;
    case 'pay_late': // charged once the window has closed (below)
      return;
    case 'cancel':
      await sleep(Math.random() * 500);
      await h.c.useCases.saga.run(orderId, { kind: 'cancel', reason: 'buyer_cancelled' }, { id: userId, role: 'buyer' }).catch((err: unknown) => {
        if (!(err instanceof DomainError)) throw err; // e.g. already cancelled by expiry
      });
      return;
    case 'never_pay':
      return;
  }
}

it(`${ORDERS} concurrent checkouts with random outcomes keep stock, payments and orders consistent`, async () => {
  const products = Array.from({ length: PRODUCTS }, () => h.catalog.add({ price: '1.00' }));
  for (const p of products) stock.set(p.id, { available: STOCK_PER_PRODUCT, reserved: 0, sold: 0 });
  h.onCommand = participant;

  const t0 = Date.now();
  const placed = await Promise.all(
    Array.from({ length: ORDERS }, async () => {
      const userId = randomUUID();
      const lines = [...new Set([pick(products), pick(products)])].map((p) => ({ productId: p.id, quantity: 1 + Math.floor(Math.random() * 3) }));
      const { orderId } = await h.c.useCases.placeOrder.execute({ userId, idempotencyKey: randomUUID(), items: lines, shippingAddress: 'x', waitMs: 0 });
      return { orderId, userId, behaviour: pick(BEHAVIOURS) };
    }),
  );
  const tPlaced = Date.now();
  await Promise.all(placed.map((o) => buyer(o.orderId, o.userId, o.behaviour)));
  const ids = placed.map((o) => o.orderId);
  const settled = async (open: string[]) => {
    await eventually(
      async () => {
        const consumed = await h.c.db.inboxMessage.count({ where: { eventId: { in: published } } });
        const busy = await h.c.db.sagaInstance.count({ where: { orderId: { in: ids }, state: { notIn: [...open, 'done', 'compensated'] } } });
        expect({ unconsumed: published.length - consumed, busy }).toEqual({ unconsumed: 0, busy: 0 });
      },
      { timeoutMs: 90000, intervalMs: 250 },
    );
  };
  await settled(['awaiting_payment']);

  // The window closes for everyone who has not paid; late payers' charges land around then.
  const unpaid = await h.c.db.order.findMany({ where: { id: { in: ids }, status: 'under_paying' }, select: { id: true } });
  const late = placed.filter((o) => o.behaviour === 'pay_late' && unpaid.some((u) => u.id === o.orderId));
  expect(late.length).toBeGreaterThan(0);
  h.clock.offsetMs = 901_000;
  // Half the late charges race the sweeper's expiry (either outcome is fine: paid in time, or
  // cancelled then refunded); the other half land only once the order has been expired, so the
  // refund of a charge that arrives after the window is exercised in every run.
  await Promise.all(
    late.map(async (o, i) => {
      if (i % 2 === 0) {
        await eventually(async () => expect(await statusOf(o.orderId)).toBe('cancelled'), { timeoutMs: 30000, intervalMs: 50 });
      } else {
        await sleep(Math.random() * 300);
      }
      await charge(o.orderId, o.userId);
    }),
  );
  await settled([]);
  const open = await h.c.db.order.count({ where: { id: { in: ids }, status: { notIn: ['processing', 'cancelled'] } } });
  expect(open).toBe(0);

  const orders = await h.c.db.order.findMany({ where: { id: { in: ids } }, include: { items: true, saga: true } });
  const count = (f: (o: (typeof orders)[number]) => boolean) => orders.filter(f).length;
  console.log(
    `${ORDERS} checkouts: placed in ${tPlaced - t0} ms, all settled after ${Date.now() - t0} ms; ` +
      `processing ${count((o) => o.status === 'processing')}, ` +
      ['insufficient_stock', 'payment_timeout', 'buyer_cancelled'].map((r) => `${r} ${count((o) => o.cancelReason === r)}`).join(', ') +
      `, refunded ${[...payments.values()].filter((p) => p.status === 'refunded').length}`,
  );
  const soldByOrders = new Map<string, number>();
  for (const o of orders) {
    const r = reservations.get(o.id);
    const p = payments.get(o.id);
    if (o.status === 'processing') {
      // no paid order without confirmed stock, no confirmed stock without payment
      expect([o.id, r?.status, p?.status]).toEqual([o.id, 'confirmed', 'completed']);
      for (const i of o.items) soldByOrders.set(i.productId, (soldByOrders.get(i.productId) ?? 0) + i.quantity);
    } else {
      // no cancelled order left charged, no stock held for it
      if (p && p.status !== 'refunded') {
        const log = await h.c.db.sagaStepLog.findMany({ where: { orderId: o.id }, orderBy: { id: 'asc' } });
        console.log(o.id, o.cancelReason, o.saga?.state, JSON.stringify(o.saga?.context), log.map((l) => `${l.kind}:${l.type}@${l.step}`).join(' → '));
      }
      expect([o.id, p?.status ?? 'none']).toEqual([o.id, p ? 'refunded' : 'none']);
      expect([o.id, r?.status]).not.toEqual([o.id, 'reserved']);
      expect([o.id, r?.status]).not.toEqual([o.id, 'confirmed']);
      expect(o.cancelReason).toEqual(expect.any(String));
    }
    expect(o.saga?.stuck).toBe(false);
  }
  for (const p of products) {
    const s = stock.get(p.id)!;
    expect({ product: p.id, total: s.available + s.reserved + s.sold, reserved: s.reserved, sold: s.sold }).toEqual({
      product: p.id,
      total: STOCK_PER_PRODUCT,
      reserved: 0,
      sold: soldByOrders.get(p.id) ?? 0,
    });
  }
  // The run exercised the interesting paths, not just the happy one.
  const reasons = new Set(orders.map((o) => o.cancelReason).filter(Boolean));
  expect(orders.some((o) => o.status === 'processing')).toBe(true);
  expect([...reasons]).toEqual(expect.arrayContaining(['payment_timeout', 'buyer_cancelled', 'insufficient_stock']));
  expect([...payments.values()].some((p) => p.status === 'refunded')).toBe(true);
});
