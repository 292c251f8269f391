// The refund worker's own rules, with fake ports: it never runs more gateway calls at once than
// its limit, a refund woken twice is sent once, and stop() waits for the calls in flight but
// starts nothing new (what it had not started stays pending for the sweep).
import pino from 'pino';
import type { UseCaseDeps } from '../../src/app/deps';
import { GatewayRegistry, type PaymentGateway, type RefundReservation } from '../../src/app/ports';
import { storesOf } from '../support/fake-stores';
import type { PaymentRecord, RefundRecord } from '../../src/app/records';
import { SettleRefund } from '../../src/app/refund-payment';
import { RefundWorker } from '../../src/app/refund-worker';

const now = new Date('2026-12-03T12:00:00Z');
const payment = { paymentId: 'p1', gateway: 'fake', currency: 'USD', gatewayTransactionId: 't1', gatewayReference: null } as unknown as PaymentRecord;
const refund = (refundId: string): RefundRecord =>
  ({ refundId, paymentId: 'p1', amount: '1.00', reason: 'order_cancelled', status: 'pending', attemptCount: 1 }) as unknown as RefundRecord;

function setup(delayMs: number) {
  let running = 0;
  let maxRunning = 0;
  const sent: string[] = [];
  const claimed = new Set<string>();
  const gateway = {
    name: 'fake',
    refund: jest.fn(async (req: { refundId: string }) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, delayMs));
      running -= 1;
      sent.push(req.refundId);
      return { gatewayRefundId: `g_${req.refundId}`, raw: {} };
    }),
    lookupRefund: jest.fn(),
  } as unknown as PaymentGateway;
  const repo = {
    // The lease: a refund is claimed by one call at a time.
    claimRefundAttempt: jest.fn(async (id: string): Promise<RefundReservation | null> => {
      if (claimed.has(id)) return null;
      claimed.add(id);
      return { refund: refund(id), payment };
    }),
    completeRefund: jest.fn(async (id: string) => ({ refund: { ...refund(id), status: 'completed' as const }, payment })),
  };
  const deps: UseCaseDeps = {
    ...storesOf(repo),
    orders: { getOrderForPayment: jest.fn() },
    gateways: new GatewayRegistry([gateway]),
    clock: { now: () => now },
    logger: pino({ level: 'silent' }),
    settings: { currency: 'USD', staleProcessingSeconds: 90 },
  };
  return { deps, sent, maxRunning: () => maxRunning, repo };
}

describe('refund worker', () => {
  it('runs at most `concurrency` gateway calls at once and sends every refund once', async () => {
    const t = setup(30);
    const worker = new RefundWorker(
      new SettleRefund(t.deps.refunds, t.deps.gateways, t.deps.clock, t.deps.logger, t.deps.settings.staleProcessingSeconds),
      t.deps.logger,
      2,
    );
    for (const id of ['r1', 'r2', 'r3', 'r4', 'r5']) worker.wake(id);
    worker.wake('r1'); // woken again while queued: still one send
    while (worker.pending > 0) await new Promise((r) => setTimeout(r, 10));
    expect(t.sent.sort()).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(t.maxRunning()).toBe(2);
    expect(t.repo.completeRefund).toHaveBeenCalledTimes(5);
  });

  it('stop() waits for the calls in flight and starts nothing new', async () => {
    const t = setup(50);
    const worker = new RefundWorker(
      new SettleRefund(t.deps.refunds, t.deps.gateways, t.deps.clock, t.deps.logger, t.deps.settings.staleProcessingSeconds),
      t.deps.logger,
      1,
    );
    worker.wake('a');
    worker.wake('b');
    await new Promise((r) => setTimeout(r, 10));
    await worker.stop();
    expect(t.sent).toEqual(['a']); // b stays pending in the database, for the sweep
    worker.wake('c');
    await new Promise((r) => setTimeout(r, 80));
    expect(t.sent).toEqual(['a']);
  });

  it('detached work is awaited on stop, and its failure is only logged', async () => {
    const t = setup(0);
    const worker = new RefundWorker(
      new SettleRefund(t.deps.refunds, t.deps.gateways, t.deps.clock, t.deps.logger, t.deps.settings.staleProcessingSeconds),
      t.deps.logger,
    );
    let released = false;
    worker.detach('void p1', async () => {
      await new Promise((r) => setTimeout(r, 30));
      released = true;
    });
    worker.detach('void p2', async () => {
      throw new Error('gateway down');
    });
    await worker.stop();
    expect(released).toBe(true);
  });
});
