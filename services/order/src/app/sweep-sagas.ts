import type { Logger } from '@sudamall/shared';
import type { OrderStatus } from '../domain/order-status';
import type { OrderAdjustments } from './order-adjustments';
import { SYSTEM, type CheckoutTx, type Clock } from './ports';
import type { SagaCoordinator } from './saga-coordinator';

/** The saga's timers: a payment window that closed, a command whose reply is overdue. */
export type DueKind = 'payment_deadline' | 'retry';

/** Overdue sagas, claimed one at a time so several instances never take the same one. */
export interface DueSagas {
  /** Runs `fn` in a transaction of its own on the next saga due for `kind` at `now`, its order locked; null when none is due. */
  claimNext<T>(kind: DueKind, now: Date, fn: (tx: CheckoutTx, orderId: string) => Promise<T>): Promise<T | null>;
}

/**
 * Handles up to `max` due sagas of one kind, one transaction each (one failure does not block the
 * rest, and the next sweep takes it again). Stops between sagas once `signal` is aborted: a
 * shutdown waits for one transaction, and a backlog is left to the next sweep, here or elsewhere.
 */
export async function drainDue(
  deps: { due: DueSagas; saga: SagaCoordinator; clock: Clock; logger: Logger },
  kind: DueKind,
  max: number,
  signal?: AbortSignal,
): Promise<number> {
  let done = 0;
  for (let i = 0; i < max && !signal?.aborted; i++) {
    let changed: { orderId: string; status?: OrderStatus } | null;
    try {
      changed = await deps.due.claimNext(kind, deps.clock.now(), async (tx, orderId) => {
        const locked = await tx.lockSaga(orderId);
        if (!locked) return null;
        return { orderId, status: await deps.saga.applyLocked(tx, locked.order, locked.saga, { kind }, SYSTEM) };
      });
    } catch (err) {
      deps.logger.error({ err, kind }, 'saga timer step failed');
      return done;
    }
    if (!changed) return done;
    done++;
    if (changed.status) deps.saga.notifyOrderChanged(changed.orderId, changed.status);
  }
  return done;
}

/**
 * The saga's periodic sweep (Kafka has no delayed delivery, so deadlines are columns): orders
 * past their payment deadline are expired (release + void + cancelled), commands whose reply has
 * not come back are re-sent with backoff, and so are those of cancellations and returns.
 */
export class SweepSagas {
  constructor(
    private readonly due: DueSagas,
    private readonly saga: SagaCoordinator,
    private readonly adjustments: OrderAdjustments,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly batch = 100,
  ) {}

  async execute(signal?: AbortSignal): Promise<{ expired: number; retried: number; adjustmentsRetried: number }> {
    const deps = { due: this.due, saga: this.saga, clock: this.clock, logger: this.logger };
    const expired = await drainDue(deps, 'payment_deadline', this.batch, signal);
    const retried = await drainDue(deps, 'retry', this.batch, signal);
    const adjustmentsRetried = await this.adjustments.retryDue(this.batch, signal);
    return { expired, retried, adjustmentsRetried };
  }
}
