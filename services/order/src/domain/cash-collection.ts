import { conflict, formatMoney, sumMoney } from '@sudamall/shared';
import type { FulfillmentStatus } from './fulfillment';

/**
 * Cash on delivery is collected store by store, as each delivers its part: a part that is shipped
 * (delivered as the cash is taken) or delivered, and not collected yet.
 */
export function assertCollectable(storeId: string, status: FulfillmentStatus, collectedAmount: string | null): void {
  if (collectedAmount !== null) throw conflict('ALREADY_COLLECTED', `store ${storeId} collected its part's cash already`, { store_id: storeId });
  if (status !== 'shipped' && status !== 'delivered') {
    throw conflict('NOT_COLLECTABLE', `store ${storeId}'s part is ${status}: its cash is collected when it is delivered`, { store_id: storeId, status });
  }
}

/**
 * What the payment completes for once every part not cancelled has been collected (a refused
 * delivery's part was cancelled, so its cash is never taken); null while one is still to collect,
 * or when nothing was collected at all (not a cash order).
 */
export function collectionDue(parts: ReadonlyArray<{ status: FulfillmentStatus; collectedAmount: string | null }>): string | null {
  const open = parts.filter((p) => p.status !== 'cancelled');
  if (open.length === 0 || open.some((p) => p.collectedAmount === null)) return null;
  return formatMoney(sumMoney(open.map((p) => p.collectedAmount ?? '0.00')));
}
