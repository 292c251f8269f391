import { conflict, forbidden, notFound, type AuthUser } from '@sudamall/shared';
import { orderNotFound } from '../domain/errors';
import { feeShares, returnRefund } from '../domain/fee-share';
import { returnedValue, validateReturn } from '../domain/returns';
import { newAdjustment, type AdjustmentSnapshot } from '../saga/adjustment.saga';
import type { OrderAdjustments } from './order-adjustments';
import { actorOf, requireAccess } from './order-access';
import type { AdjustmentTx, AdjustmentUnitOfWork, Clock, OrderHead } from './ports';

const returnNotFound = (returnId: string) => notFound('RETURN_NOT_FOUND', `return ${returnId} is not one of this order's`, { return_id: returnId });

/**
 * Returns after delivery: the buyer asks (lines of one delivered store, within the window, never
 * more than bought), the store's seller or an admin approves (the adjustment saga refunds the
 * lines and their share of the fee and, with `restock`, puts the units back) or rejects.
 */
export class OrderReturns {
  constructor(
    private readonly uow: AdjustmentUnitOfWork,
    private readonly adjustments: OrderAdjustments,
    private readonly clock: Clock,
    private readonly windowDays: number,
    private readonly newId: () => string,
  ) {}

  /** The buyer's request; returns the new return's id. */
  async request(user: AuthUser, orderId: string, body: { items: Array<{ item_id: string; quantity: number }>; reason: string }): Promise<string> {
    return this.uow.runAdjustment(async (tx) => {
      const order = await this.locked(tx, orderId);
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

  /** The store's seller (or an admin) approves: refund the lines and their fee share, restock if asked. */
  async approve(user: AuthUser, orderId: string, returnId: string, restock: boolean): Promise<void> {
    // What the buyer paid in fees is a question for the payment service, asked before any lock.
    const { fee } = await this.adjustments.payment(orderId);
    await this.uow.runAdjustment(async (tx) => {
      const order = await this.locked(tx, orderId);
      const ret = await this.answerable(tx, order, user, returnId);
      const [lines, parts] = [await tx.linesOf(orderId), await tx.fulfillmentPartsOf(orderId)];
      const part = parts.find((p) => p.storeId === ret.storeId);
      const share = feeShares(fee, parts).get(ret.storeId ?? '') ?? '0.00';
      const refundAmount = returnRefund(returnedValue(lines, ret.lines), { subtotal: part?.subtotal ?? '0.00', feeShare: share });
      await this.adjustments.begin(tx, order, { ...ret, restock, refundAmount }, { decidedBy: actorOf(user) });
    });
  }

  /** The store's seller (or an admin) refuses, saying why; nothing is refunded or restocked. */
  async reject(user: AuthUser, orderId: string, returnId: string, reason: string): Promise<void> {
    await this.uow.runAdjustment(async (tx) => {
      const order = await this.locked(tx, orderId);
      const ret = await this.answerable(tx, order, user, returnId);
      await tx.saveAdjustment({ ...ret, status: 'rejected' }, { decidedBy: actorOf(user), decisionReason: reason });
      await tx.appendStepLog(orderId, [{ step: 'return:answer', kind: 'reply', type: 'return.rejected', payload: { return_id: returnId, reason } }]);
    });
  }

  private async locked(tx: AdjustmentTx, orderId: string): Promise<OrderHead> {
    const locked = await tx.lockSaga(orderId);
    if (!locked) throw orderNotFound(orderId);
    return locked.order;
  }

  /** A return still waiting for its answer, answered by a seller of its store or an admin. */
  private async answerable(tx: AdjustmentTx, order: OrderHead, user: AuthUser, returnId: string): Promise<AdjustmentSnapshot> {
    const access = requireAccess(order, user, ['seller', 'admin']);
    const ret = (await tx.adjustmentsOf(order.id)).find((a) => a.id === returnId && a.kind === 'return');
    if (!ret) throw returnNotFound(returnId);
    if (access === 'seller' && ret.storeId !== user.storeId)
      throw forbidden('FORBIDDEN', "another store's return is not yours to answer", { return_id: returnId });
    if (ret.status !== 'requested')
      throw conflict('RETURN_ALREADY_ANSWERED', `return ${returnId} is ${ret.status}`, { return_id: returnId, status: ret.status });
    return ret;
  }
}
