import { conflict, type AuthUser } from '@sudamall/shared';
import { orderNotFound } from '../domain/errors';
import type { ActionInput, ActionOutcome, SagaAdminStore } from './saga-admin';
import { compensateDecision, resolveDecision, retryDecision, type AdminDecision } from './saga-actions';
import type { SagaCoordinator } from './saga-coordinator';

/**
 * One operator action on a saga (retry, compensate, resolve), audited. A repeat with the same
 * idempotency key returns the first outcome and changes nothing; the order row lock serialises
 * concurrent submits, so a double click acts once.
 */
export class ActOnSaga {
  constructor(
    private readonly store: Pick<SagaAdminStore, 'run'>,
    private readonly saga: SagaCoordinator,
  ) {}

  async execute(user: AuthUser, orderId: string, input: ActionInput): Promise<ActionOutcome> {
    let changed: Awaited<ReturnType<SagaCoordinator['applyLocked']>>;
    const by = { id: user.id, role: 'admin' as const };
    const outcome = await this.store.run(async (tx): Promise<ActionOutcome> => {
      const locked = await tx.lockSaga(orderId);
      if (!locked) throw orderNotFound(orderId);
      const previous = await tx.findAction(orderId, input.idempotencyKey);
      if (previous) {
        if (previous.action !== input.action) {
          throw conflict('IDEMPOTENCY_KEY_REUSED', `idempotency key already used for a ${previous.action} of order ${orderId}`, {
            order_id: orderId,
            action: previous.action,
          });
        }
        return { order_id: orderId, action: input.action, replayed: true, record: previous };
      }
      const { saga, order } = locked;
      const t = this.saga.timings();
      const reason = input.note.trim() || 'admin_compensated';
      let d: AdminDecision;
      if (input.action === 'retry') d = retryDecision(orderId, saga, t, user.id);
      else if (input.action === 'compensate') d = compensateDecision(orderId, saga, order.status, reason, t, user.id);
      else d = resolveDecision(orderId, saga, input.note, user.id);
      await tx.appendAdminLog(orderId, d.adminLog);
      await this.saga.persist(tx, order, d.decision, by, input.note.trim() || undefined);
      changed = d.decision.order?.to;
      const record = await tx.recordAction(orderId, {
        action: input.action,
        idempotency_key: input.idempotencyKey,
        actor_id: user.id,
        actor_role: user.role,
        note: input.note,
        state_before: saga.state,
        step_before: saga.currentStep,
        state_after: d.decision.saga.state,
      });
      return { order_id: orderId, action: input.action, replayed: false, record };
    });
    if (changed) this.saga.notifyOrderChanged(orderId, changed);
    return outcome;
  }
}
