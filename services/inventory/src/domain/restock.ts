// Restock rules with no I/O: validating an inventory.restock command and deciding how many
// units each of its lines gets back, from the order's reservation rows as they stand under
// their locks (the store reads them; infra/reservation-store.ts writes what this decides).
//
// Only units the order SOLD come back: a confirmed line holds `quantity - restocked` of them
// (earlier restocks of the line took the rest). A line that is unknown, still reserved or
// already released (a whole-order restock or release came first) gets 0, so whichever order
// partial and whole-order restocks land in, no unit comes back twice.
import { invalid, type StockRestockedEvent } from '@sudamall/shared';
import { MAX_LINES_PER_ORDER, MAX_QUANTITY_PER_LINE, type ReservationStatus } from './reservation';

export interface RestockRequest {
  order_id: string;
  restock_id: string;
  reason: string;
  lines: Array<{ line_id: string; quantity: number }>;
}

/** One reservation row of the order, as the store read it under its lock. */
export interface RestockableLine {
  id: string;
  line_id: string;
  product_id: string;
  /** '' for products without sizes */
  size: string;
  quantity: number;
  restocked: number;
  status: ReservationStatus;
}

export interface RestockPlan {
  /** The answer: what each requested line gets back now, in the command's order. */
  result: StockRestockedEvent;
  /** reservation id → units it gives back (only those above 0). */
  gives: Map<string, number>;
}

const MAX_ID_LENGTH = 200;
const MAX_REASON_LENGTH = 500;

const nonEmptyId = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '' && v.length <= MAX_ID_LENGTH;

/**
 * Checks the command's shape: a caller's bug, reported as an `invalid` DomainError (the consumer
 * drops it with a loud log, as it does any command nobody can answer) and never stored.
 */
export function validateRestockCommand(input: { order_id?: unknown; restock_id?: unknown; reason?: unknown; lines?: unknown }): RestockRequest {
  if (!nonEmptyId(input.order_id)) throw invalid('INVALID_ORDER_ID', 'order_id must be a non-empty string');
  if (!nonEmptyId(input.restock_id)) throw invalid('INVALID_RESTOCK_ID', 'restock_id must be a non-empty string');
  if (input.reason !== undefined && input.reason !== null && typeof input.reason !== 'string') {
    throw invalid('INVALID_REASON', 'reason must be a string');
  }
  const reason = (typeof input.reason === 'string' && input.reason.trim() !== '' ? input.reason : 'restocked').slice(0, MAX_REASON_LENGTH);
  if (!Array.isArray(input.lines) || input.lines.length === 0) throw invalid('NO_LINES', 'a restock needs at least one line');
  if (input.lines.length > MAX_LINES_PER_ORDER) throw invalid('TOO_MANY_LINES', `at most ${MAX_LINES_PER_ORDER} lines per restock`);
  const seen = new Set<string>();
  const lines = input.lines.map((raw: unknown, i) => {
    const l = (raw ?? {}) as Record<string, unknown>;
    if (!nonEmptyId(l.line_id)) throw invalid('INVALID_LINE_ID', `line ${i + 1}: line_id must be a non-empty string`);
    // Two entries for one line would make "never more than sold" depend on how they are summed.
    if (seen.has(l.line_id)) throw invalid('DUPLICATE_LINE_ID', `line_id ${l.line_id} appears twice`, { line_id: l.line_id });
    seen.add(l.line_id);
    const q = l.quantity;
    if (typeof q !== 'number' || !Number.isInteger(q) || q <= 0 || q > MAX_QUANTITY_PER_LINE) {
      throw invalid('INVALID_QUANTITY', `line ${l.line_id}: quantity must be a positive integer`, { line_id: l.line_id });
    }
    return { line_id: l.line_id, quantity: q };
  });
  return { order_id: input.order_id, restock_id: input.restock_id, reason, lines };
}

/** Units a reservation row can still give back from sold. */
export function restockableUnits(line: Pick<RestockableLine, 'quantity' | 'restocked' | 'status'>): number {
  return line.status === 'confirmed' ? Math.max(0, line.quantity - line.restocked) : 0;
}

/**
 * What each requested line gets back: min(asked, still sold). An unknown line answers with an
 * empty product_id and no size (nothing names it).
 */
export function planRestock(request: RestockRequest, orderLines: RestockableLine[]): RestockPlan {
  const byLine = new Map(orderLines.map((l) => [l.line_id, l]));
  const gives = new Map<string, number>();
  const lines = request.lines.map((asked) => {
    const row = byLine.get(asked.line_id);
    if (!row) return { line_id: asked.line_id, product_id: '', size: null, quantity: 0 };
    const quantity = Math.min(asked.quantity, restockableUnits(row));
    if (quantity > 0) gives.set(row.id, quantity);
    return { line_id: asked.line_id, product_id: row.product_id, size: row.size === '' ? null : row.size, quantity };
  });
  return { result: { order_id: request.order_id, restock_id: request.restock_id, lines }, gives };
}
