import type { Logger } from '@sudamall/shared';
import type { Clock } from './ports';
import type { SagaCoordinator } from './saga-coordinator';
import { drainDue, type DueSagas } from './sweep-sagas';

/** An admin's clean-up: every order past its payment deadline is expired now, not at the next sweep; returns how many. */
export class ExpireOverduePayments {
  constructor(
    private readonly due: DueSagas,
    private readonly saga: SagaCoordinator,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly batch = 100,
  ) {}

  async execute(): Promise<number> {
    const deps = { due: this.due, saga: this.saga, clock: this.clock, logger: this.logger };
    let total = 0;
    for (;;) {
      const n = await drainDue(deps, 'payment_deadline', this.batch);
      total += n;
      if (n < this.batch) return total;
    }
  }
}
