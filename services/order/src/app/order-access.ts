import type { AuthUser } from '@sudamall/shared';
import { orderForbidden, orderNotFound } from '../domain/errors';
import type { Actor } from '../domain/order-status';
import type { ActorRef, CheckoutTx, OrderHead } from './ports';

interface Owned {
  id: string;
  userId: string;
  storeIds: string[];
}

export type Access = 'owner' | 'seller' | 'admin';

/** Who may see an order: its buyer, a seller of a store with an item in it, an admin. */
export function accessOf(order: Owned, user: AuthUser): Access | null {
  if (user.role === 'admin') return 'admin';
  if (user.role === 'buyer' && order.userId === user.id) return 'owner';
  if (user.role === 'seller' && user.storeId && order.storeIds.includes(user.storeId)) return 'seller';
  return null;
}

export function requireAccess(order: Owned, user: AuthUser, allowed: readonly Access[]): Access {
  const access = accessOf(order, user);
  if (!access || !allowed.includes(access)) throw orderForbidden(order.id);
  return access;
}

export function actorOf(user: AuthUser): ActorRef & { role: Actor } {
  return { id: user.id, role: user.role };
}

/** The order's head as `user` may read it (404 when there is none, 403 when it is not theirs to read). */
export async function readableHead<H extends Owned>(
  heads: { head(orderId: string): Promise<H | null> },
  user: AuthUser,
  orderId: string,
  allowed: readonly Access[],
): Promise<H> {
  const head = await heads.head(orderId);
  if (!head) throw orderNotFound(orderId);
  requireAccess(head, user, allowed);
  return head;
}

/** Locks the order (and its saga) for the rest of the transaction; 404 when there is none. */
export async function lockedOrder(tx: Pick<CheckoutTx, 'lockSaga'>, orderId: string): Promise<OrderHead> {
  const locked = await tx.lockSaga(orderId);
  if (!locked) throw orderNotFound(orderId);
  return locked.order;
}
