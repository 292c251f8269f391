import { conflict, formatMoney, invalid, money, sumMoney, unprocessable } from '@sudamall/shared';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface ReturnableLine {
  lineId: string;
  storeId: string;
  quantity: number;
  /** Unit price charged. */
  price: string;
}

export interface ReturnRequestRules {
  lines: readonly ReturnableLine[];
  /** The order's fulfilments: a line is returned only once its store delivered it. */
  fulfillments: ReadonlyArray<{ storeId: string; status: string; deliveredAt: Date | null }>;
  /** Units of each line already returned or being returned (returns not rejected). */
  alreadyReturned: ReadonlyMap<string, number>;
  asked: ReadonlyArray<{ item_id: string; quantity: number }>;
  now: Date;
  windowDays: number;
}

/**
 * A buyer's return: lines of one store (whose seller answers it), delivered no longer than
 * `windowDays` ago, never more units of a line than were bought less those already returned or
 * being returned. Returns the store and the lines it takes back.
 */
export function validateReturn(r: ReturnRequestRules): { storeId: string; lines: Array<{ line_id: string; quantity: number }> } {
  const ids = r.asked.map((a) => a.item_id);
  if (new Set(ids).size !== ids.length) throw invalid('RETURN_ITEM_REPEATED', 'name each item once, with the quantity returned', { item_ids: ids });
  const lines = r.asked.map((a) => {
    const line = r.lines.find((l) => l.lineId === a.item_id);
    if (!line) throw unprocessable('RETURN_ITEM_UNKNOWN', `item ${a.item_id} is not part of this order`, { item_id: a.item_id });
    return { line, quantity: a.quantity };
  });
  const stores = [...new Set(lines.map((l) => l.line.storeId))];
  const [storeId] = stores;
  if (stores.length !== 1 || storeId === undefined) {
    throw unprocessable('RETURN_SPANS_STORES', "each store answers its own returns: return one store's items at a time", { store_ids: stores });
  }
  const fulfillment = r.fulfillments.find((f) => f.storeId === storeId);
  if (!fulfillment || fulfillment.status !== 'delivered' || !fulfillment.deliveredAt) {
    throw conflict('RETURN_NOT_DELIVERED', 'items are returned once they are delivered', { store_id: storeId, status: fulfillment?.status ?? null });
  }
  const closesAt = new Date(fulfillment.deliveredAt.getTime() + r.windowDays * DAY_MS);
  if (r.now.getTime() > closesAt.getTime()) {
    throw conflict('RETURN_WINDOW_CLOSED', `returns close ${r.windowDays} days after delivery`, {
      delivered_at: fulfillment.deliveredAt.toISOString(),
      closed_at: closesAt.toISOString(),
    });
  }
  for (const { line, quantity } of lines) {
    const returnable = line.quantity - (r.alreadyReturned.get(line.lineId) ?? 0);
    if (quantity > returnable) {
      throw conflict('RETURN_EXCEEDS_PURCHASE', `item ${line.lineId}: ${returnable} of ${line.quantity} can still be returned`, {
        item_id: line.lineId,
        bought: line.quantity,
        returnable,
        asked: quantity,
      });
    }
  }
  return { storeId, lines: lines.map(({ line, quantity }) => ({ line_id: line.lineId, quantity })) };
}

/** What the returned units cost the buyer (before their share of the fee). */
export function returnedValue(lines: readonly ReturnableLine[], returned: ReadonlyArray<{ line_id: string; quantity: number }>): string {
  return formatMoney(sumMoney(returned.map((r) => money(lines.find((l) => l.lineId === r.line_id)?.price ?? '0').times(r.quantity))));
}
