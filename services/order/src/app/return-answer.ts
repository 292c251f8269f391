import { conflict, forbidden, notFound, type AuthUser } from '@sudamall/shared';
import type { AdjustmentSnapshot } from '../saga/adjustment.saga';
import { requireAccess } from './order-access';
import type { AdjustmentTx, OrderHead } from './ports';

export const returnNotFound = (returnId: string) => notFound('RETURN_NOT_FOUND', `return ${returnId} is not one of this order's`, { return_id: returnId });

/** A return still waiting for its answer, answered by a seller of its store or an admin (approve-return, reject-return). */
export async function answerableReturn(tx: AdjustmentTx, order: OrderHead, user: AuthUser, returnId: string): Promise<AdjustmentSnapshot> {
  const access = requireAccess(order, user, ['seller', 'admin']);
  const ret = (await tx.adjustmentsOf(order.id)).find((a) => a.id === returnId && a.kind === 'return');
  if (!ret) throw returnNotFound(returnId);
  if (access === 'seller' && ret.storeId !== user.storeId)
    throw forbidden('FORBIDDEN', "another store's return is not yours to answer", { return_id: returnId });
  if (ret.status !== 'requested') throw conflict('RETURN_ALREADY_ANSWERED', `return ${returnId} is ${ret.status}`, { return_id: returnId, status: ret.status });
  return ret;
}
