import type { AuthUser } from '@sudamall/shared';
import { fulfillmentsToMove, type FulfillmentMover, type FulfillmentStatus } from '../domain/fulfillment';
import { isPaid, type OrderStatus } from '../domain/order-status';
import type { CancelOrder } from './cancel-order';
import { assertNoCancellationRunning } from './order-adjustments';
import { actorOf, lockedOrder, requireAccess } from './order-access';
import { moveFulfillments, orderFollowsFulfillments } from './order-events';
import type { AdjustmentUnitOfWork } from './ports';
import type { SagaCoordinator } from './saga-coordinator';

/**
 * A seller moves their store's fulfilment, an admin every open one, each through the fulfilment
 * table; the order's status follows its fulfilments (through the order's table). Cancelling is
 * the saga's: before payment it cancels the whole order, after payment it is a cancellation.
 */
export class UpdateOrderStatus {
  constructor(
    private readonly uow: AdjustmentUnitOfWork,
    private readonly saga: SagaCoordinator,
    private readonly cancelOrder: CancelOrder,
    private readonly heads: { head(orderId: string): Promise<{ status: OrderStatus } | null> },
  ) {}

  async execute(user: AuthUser, orderId: string, to: OrderStatus, opts: { notes?: string; trackingNumber?: string } = {}): Promise<OrderStatus> {
    const by = actorOf(user);
    const { notes, trackingNumber } = opts;
    if (to === 'cancelled') {
      const head = await this.heads.head(orderId);
      if (head && isPaid(head.status)) {
        const outcome = await this.cancelOrder.execute(user, orderId, notes);
        return outcome.kind === 'cancelled' ? outcome.status : head.status;
      }
      return this.saga.run(orderId, { kind: 'cancel', reason: `cancelled_by_${by.role}` }, by, {
        authorize: (order) => requireAccess(order, user, ['seller', 'admin']),
        notes,
      });
    }
    const status = await this.uow.runAdjustment(async (tx) => {
      const order = await lockedOrder(tx, orderId);
      const access = requireAccess(order, user, ['seller', 'admin']);
      const fulfillments = await tx.fulfillmentsOf(orderId);
      const mover: FulfillmentMover = access === 'seller' && user.storeId ? { role: 'seller', storeId: user.storeId } : { role: 'admin' };
      const moving = fulfillmentsToMove(fulfillments, to, mover);
      assertNoCancellationRunning(
        await tx.adjustmentsOf(orderId),
        moving.map((f) => f.storeId),
      );
      const moves = moving.map((f) => ({ storeId: f.storeId, from: f.status, to: to as FulfillmentStatus, trackingNumber }));
      await moveFulfillments(tx, order, moves, by, notes);
      const after = fulfillments.map((f) => (moving.includes(f) ? to : f.status)) as FulfillmentStatus[];
      return (await orderFollowsFulfillments(tx, order, after, by, { notes })) ?? order.status;
    });
    this.saga.notifyOrderChanged(orderId, status);
    return status;
  }
}
