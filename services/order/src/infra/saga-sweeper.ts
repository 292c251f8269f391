import { sqlOverPrisma, type Logger } from '@sudamall/shared';
import { ExpireOverduePayments } from '../app/expire-overdue-payments';
import type { OrderAdjustments } from '../app/order-adjustments';
import type { CheckoutTx, Clock } from '../app/ports';
import type { SagaCoordinator } from '../app/saga-coordinator';
import { SweepSagas, type DueKind, type DueSagas } from '../app/sweep-sagas';
import type { PrismaUnitOfWork } from './checkout-store';

// Each claims the next due saga with FOR UPDATE OF the order (the lock every writer takes first)
// SKIP LOCKED: several instances never take the same one, and one held by a reply is skipped.

/** An order waiting for payment whose window closed. */
export const DUE_PAYMENT_DEADLINE_SQL = `
  SELECT o.order_id FROM orders o JOIN saga_instances s ON s.order_id = o.order_id
   WHERE o.status = 'under_paying' AND o.payment_expires_at <= $1 AND s.state = 'awaiting_payment'
   ORDER BY o.payment_expires_at LIMIT 1 FOR UPDATE OF o SKIP LOCKED`;

/** A saga whose awaited reply is overdue. */
export const DUE_RETRY_SQL = `
  SELECT s.order_id FROM saga_instances s JOIN orders o ON o.order_id = s.order_id
   WHERE s.next_retry_at <= $1 AND jsonb_array_length(s.awaiting) > 0
   ORDER BY s.next_retry_at LIMIT 1 FOR UPDATE OF o SKIP LOCKED`;

const DUE_SQL: Record<DueKind, string> = { payment_deadline: DUE_PAYMENT_DEADLINE_SQL, retry: DUE_RETRY_SQL };

/** The DueSagas port over the order database. */
export class PrismaDueSagas implements DueSagas {
  constructor(private readonly uow: PrismaUnitOfWork) {}

  claimNext<T>(kind: DueKind, now: Date, fn: (tx: CheckoutTx, orderId: string) => Promise<T>): Promise<T | null> {
    return this.uow.runRaw(async (tx, port) => {
      const [row] = await sqlOverPrisma(tx).query<{ order_id: string }>(DUE_SQL[kind], [now]);
      return row ? fn(port, row.order_id) : null;
    });
  }
}

/**
 * The saga's timers on a hand-written loop: SweepSagas every `intervalMs`, never overlapping
 * itself; stop() waits for the sweep in progress, which stops between sagas.
 */
export class SagaSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = true;
  private abort = new AbortController();
  private readonly sweepSagas: SweepSagas;
  private readonly expireOverdue: ExpireOverduePayments;

  constructor(
    uow: PrismaUnitOfWork,
    saga: SagaCoordinator,
    clock: Clock,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    adjustments: OrderAdjustments,
  ) {
    const due = new PrismaDueSagas(uow);
    this.sweepSagas = new SweepSagas(due, saga, adjustments, clock, logger);
    this.expireOverdue = new ExpireOverduePayments(due, saga, clock, logger);
  }

  start(): void {
    this.stopped = false;
    this.abort = new AbortController();
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
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  sweep(): ReturnType<SweepSagas['execute']> {
    return this.sweepSagas.execute(this.abort.signal);
  }

  /** Expires every overdue order now (admin clean-up); returns how many. */
  expireAll(): Promise<number> {
    return this.expireOverdue.execute();
  }
}
