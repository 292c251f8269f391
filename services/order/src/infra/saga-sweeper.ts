import { sqlOverPrisma } from '@sudamall/shared';
import { every, type Job } from '@sudamall/shared/service';
import type { CheckoutTx } from '../app/ports';
import type { DueKind, DueSagas, SweepSagas } from '../app/sweep-sagas';
import type { PrismaUnitOfWork } from './checkout-store';

// Each claims the next due saga with FOR UPDATE OF the order (the lock every writer takes first)
// SKIP LOCKED: several instances never take the same one, and one held by a reply is skipped.
// Raw SQL because Prisma's models can neither lock rows nor skip locked ones.

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

/** The saga's timers as a kernel job: SweepSagas about every `intervalMs`, never overlapping itself; stopping waits for the sweep in progress, which stops between sagas. */
export function sagaSweepJob(intervalMs: number, sweepSagas: SweepSagas): Job {
  return every(intervalMs, 'saga sweeper', (signal) => sweepSagas.execute(signal));
}
