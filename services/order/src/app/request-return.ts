import type { AuthUser } from '@sudamall/shared';
import { validateReturn } from '../domain/returns';
import { newAdjustment } from '../saga/adjustment.saga';
import { actorOf, lockedOrder, requireAccess } from './order-access';
import type { AdjustmentUnitOfWork, Clock } from './ports';

export interface ReturnRequest {
  items: Array<{ item_id: string; quantity: number }>;
  reason: string;
}

/**
 * The buyer asks to return lines of one delivered store, within the window, never more than
 * bought (domain/returns.ts); the store's seller or an admin answers it (approve-return.ts,
 * reject-return.ts). Returns the new return's id.
 */
export class RequestReturn {
  constructor(
    private readonly uow: AdjustmentUnitOfWork,
    private readonly clock: Clock,
    private readonly windowDays: number,
    private readonly newId: () => string,
  ) {}

  async execute(user: AuthUser, orderId: string, body: ReturnRequest): Promise<string> {
    return this.uow.runAdjustment(async (tx) => {
      const order = await lockedOrder(tx, orderId);
      requireAccess(order, user, ['owner']);
      const [lines, fulfillments, parts, adjustments] = [
        await tx.linesOf(orderId),
        await tx.fulfillmentsOf(orderId),
        await tx.fulfillmentPartsOf(orderId),
        await tx.adjustmentsOf(orderId),
      ];
      const alreadyReturned = new Map<string, number>();
      for (const a of adjustments.filter((x) => x.kind === 'return' && x.status !== 'rejected')) {
        for (const l of a.lines) alreadyReturned.set(l.line_id, (alreadyReturned.get(l.line_id) ?? 0) + l.quantity);
      }
      const { storeId, lines: returned } = validateReturn({
        lines,
        fulfillments: fulfillments.map((f) => ({ ...f, deliveredAt: parts.find((p) => p.storeId === f.storeId)?.deliveredAt ?? null })),
        alreadyReturned,
        asked: body.items,
        now: this.clock.now(),
        windowDays: this.windowDays,
      });
      const id = this.newId();
      await tx.insertAdjustment(
        // The refund is decided when the store approves (the fee's share is asked of payment then).
        newAdjustment({
          id,
          orderId,
          kind: 'return',
          storeId,
          status: 'requested',
          reason: body.reason,
          requestedBy: actorOf(user),
          refundAmount: null,
          lines: returned,
        }),
      );
      await tx.appendStepLog(orderId, [
        {
          step: 'return:request',
          kind: 'command',
          type: 'return.requested',
          payload: { return_id: id, store_id: storeId, lines: returned, reason: body.reason },
        },
      ]);
      return id;
    });
  }
}
