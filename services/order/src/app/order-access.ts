import type { AuthUser } from '@sudamall/shared';
import { orderForbidden } from '../domain/errors';
import type { Actor } from '../domain/order-status';
import type { ActorRef } from './ports';

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
