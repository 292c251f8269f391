import type { Logger } from '@sudamall/shared';
import type { OrderAdjustments } from '../app/order-adjustments';
import type { SagaCoordinator } from '../app/saga-coordinator';
import type { Clock } from '../app/ports';
import type { PrismaUnitOfWork } from './checkout-store';

type Kind = 'payment_deadline' | 'retry';

/**
 * The saga's timers. Kafka has no delayed delivery, so deadlines are columns and this sweeper
 * claims overdue rows with FOR UPDATE SKIP LOCKED (several instances never take the same one):
 * under_paying orders past their payment deadline are expired (release + void + cancelled), and
 * commands whose reply has not come back are re-sent with backoff.
 */
export class SagaSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = true;
  /** Set by stop(): a sweep in progress finishes its current saga and takes no more. */
  private closing = false;

  constructor(
    private readonly uow: PrismaUnitOfWork,
    private readonly saga: SagaCoordinator,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    /** Cancellations after payment and returns: their overdue commands are re-sent too. */
    private readonly adjustments?: OrderAdjustments,
    private readonly batch = 100,
  ) {}

  start(): void {
    this.stopped = false;
    this.closing = false;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.sweep()
        .catch((err: unknown) => this.logger.error({ err }, 'saga sweep failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    this.timer = setTimeout(tick, this.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  async sweep(): Promise<{ expired: number; retried: number; adjustmentsRetried: number }> {
    const expired = await this.drain('payment_deadline', this.batch);
    const retried = await this.drain('retry', this.batch);
    const adjustmentsRetried = this.adjustments && !this.closing ? await this.adjustments.retryDue(this.batch) : 0;
    return { expired, retried, adjustmentsRetried };
  }

  /** Expires every overdue order now (admin clean-up); returns how many. */
  async expireAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.drain('payment_deadline', this.batch);
      total += n;
      if (n < this.batch) return total;
    }
  }

  /** Handles up to `max` due sagas of one kind, one transaction each (one failure does not block the rest). */
  private async drain(kind: Kind, max: number): Promise<number> {
    let done = 0;
    // A shutdown waits for the sweep; stopping between sagas keeps that wait to one transaction
    // (a backlog of due sagas is left to the next sweep, on this instance or another).
    for (let i = 0; i < max && !this.closing; i++) {
      const now = this.clock.now();
      let changed: { orderId: string; status?: string } | null = null;
      try {
        changed = await this.uow.runRaw(async (tx, port) => {
          const rows =
            kind === 'payment_deadline'
              ? await tx.$queryRaw<Array<{ order_id: string }>>`
                  SELECT o.order_id FROM orders o JOIN saga_instances s ON s.order_id = o.order_id
                  WHERE o.status = 'under_paying' AND o.payment_expires_at <= ${now} AND s.state = 'awaiting_payment'
                  ORDER BY o.payment_expires_at LIMIT 1 FOR UPDATE OF o SKIP LOCKED`
              : await tx.$queryRaw<Array<{ order_id: string }>>`
                  SELECT s.order_id FROM saga_instances s JOIN orders o ON o.order_id = s.order_id
                  WHERE s.next_retry_at <= ${now} AND jsonb_array_length(s.awaiting) > 0
                  ORDER BY s.next_retry_at LIMIT 1 FOR UPDATE OF o SKIP LOCKED`;
          const orderId = rows[0]?.order_id;
          if (!orderId) return null;
          const locked = await port.lockSaga(orderId);
          if (!locked) return null;
          const status = await this.saga.applyLocked(port, locked.order, locked.saga, { kind }, { id: 'system', role: 'system' });
          return { orderId, status };
        });
      } catch (err) {
        this.logger.error({ err, kind }, 'saga timer step failed');
        return done;
      }
      if (!changed) return done;
      done++;
      if (changed.status) this.saga.notifyOrderChanged(changed.orderId, changed.status as never);
    }
    return done;
  }
}
