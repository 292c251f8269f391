import type { Logger } from 'pino';
import type { RefundQueue } from './ports';
import type { SettleRefund } from './refund-payment';

/**
 * Sends saga refunds (and best-effort voids) outside the Kafka handler. A gateway call can take a
 * minute (Stripe: 3 tries × 20 s) while the consumer's session lasts 10 s, so the handler only
 * records the command (the refund's reservation, in the transaction that claims the inbox) and
 * wakes this worker after the commit. A refund the worker never reaches (a crash, a shutdown)
 * is still pending in the database, and the recovery sweep sends it with the same key.
 */
export class RefundWorker implements RefundQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private active = 0;
  private stopped = false;

  constructor(
    private readonly settleRefund: SettleRefund,
    private readonly logger: Logger,
    /** Gateway calls at once: a burst of compensations must not open a hundred connections. */
    private readonly concurrency = 4,
  ) {}

  wake(refundId: string): void {
    if (this.stopped || this.queued.has(refundId)) return;
    this.queued.add(refundId);
    this.queue.push(refundId);
    this.pump();
  }

  detach(label: string, work: () => Promise<void>): void {
    if (this.stopped) return;
    this.track(work().catch((err: unknown) => this.logger.warn({ err, work: label }, 'background gateway call failed')));
  }

  /** Work in hand: refunds queued or being sent, and detached calls. */
  get pending(): number {
    return this.queue.length + this.running.size;
  }

  /** Takes nothing new; waits for the calls in flight (what is queued stays pending for the sweep). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    this.queued.clear();
    await Promise.allSettled([...this.running]);
  }

  private pump(): void {
    while (!this.stopped && this.active < this.concurrency && this.queue.length > 0) {
      const refundId = this.queue.shift() as string;
      this.queued.delete(refundId);
      this.active += 1;
      this.track(
        this.settleRefund
          .execute(refundId)
          .then((s) => this.logger.info({ refund_id: refundId, outcome: s.outcome }, 'saga refund sent'))
          .catch((err: unknown) => this.logger.error({ err, refund_id: refundId }, 'saga refund failed; the sweep retries it'))
          .finally(() => {
            this.active -= 1;
            this.pump();
          }),
      );
    }
  }

  private track(p: Promise<void>): void {
    const tracked = p.finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }
}
