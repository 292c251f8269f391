// Reservation rules with no I/O: validating a reserve request, and deciding, for a batch of
// requests that queued on the same stock rows, which ones are reserved and which are rejected.
// The reservation engine (src/app/reservation-engine.ts) feeds these functions what it read
// under the locks and writes back what they decide.
import { conflict, invalid } from '@sudamall/shared';

export const ReserveCodes = {
  insufficientStock: 'INSUFFICIENT_STOCK',
  productNotFound: 'PRODUCT_NOT_FOUND',
  productUnavailable: 'PRODUCT_UNAVAILABLE',
  sizeNotFound: 'SIZE_NOT_FOUND',
  sizeRequired: 'SIZE_REQUIRED',
  sizeNotAllowed: 'SIZE_NOT_ALLOWED',
} as const;
export type ShortCode = (typeof ReserveCodes)[keyof typeof ReserveCodes];

/** One requested line; `size` is '' for products without sizes. */
export interface ReserveLineRequest {
  line_id: string;
  product_id: string;
  size: string;
  quantity: number;
}

export interface ReserveRequest {
  order_id: string;
  lines: ReserveLineRequest[];
  /** How long the reservation holds before the sweeper releases it. */
  ttl_seconds?: number;
}

export interface ReservedLine extends ReserveLineRequest {
  reservation_id: string;
  status: ReservationStatus;
}

export interface ShortLine {
  line_id: string;
  product_id: string;
  size: string;
  requested: number;
  available: number;
  code: ShortCode;
}

export type ReservationStatus = 'reserved' | 'confirmed' | 'released' | 'expired';

/** What a reservation line is when it is written: its units moved available → reserved. */
export const NEW_RESERVATION_STATUS: ReservationStatus = 'reserved';

/**
 * The reservation status table: every change of a line's status is one of these moves, from one
 * of its `from` statuses to its `to`. Confirm sells what is reserved; release and the sweeper's
 * expiry give back what is reserved; restock (the saga undoing a confirmation) gives back what
 * is reserved or sold. `released` and `expired` are final.
 */
export const RESERVATION_TRANSITIONS = {
  confirm: { from: ['reserved'], to: 'confirmed' },
  release: { from: ['reserved'], to: 'released' },
  expire: { from: ['reserved'], to: 'expired' },
  restock: { from: ['reserved', 'confirmed'], to: 'released' },
} as const satisfies Record<string, { from: readonly ReservationStatus[]; to: ReservationStatus }>;
export type ReservationMove = keyof typeof RESERVATION_TRANSITIONS;

const ALL_STATUSES: readonly ReservationStatus[] = ['reserved', 'confirmed', 'released', 'expired'];

/** The one way to ask the table: whether `move` applies to a line in status `from`. */
export function canTransition(from: ReservationStatus, move: ReservationMove): boolean {
  return (RESERVATION_TRANSITIONS[move].from as readonly ReservationStatus[]).includes(from);
}

/** The status a line in `from` takes by `move`; throws 409 INVALID_RESERVATION_TRANSITION when the table has no such move. */
export function transition(from: ReservationStatus, move: ReservationMove): ReservationStatus {
  if (!canTransition(from, move)) {
    throw conflict('INVALID_RESERVATION_TRANSITION', `a ${from} reservation cannot ${move}`, { from, move });
  }
  return RESERVATION_TRANSITIONS[move].to;
}

/**
 * The statuses `move` applies to, asked of canTransition: what the bulk SQL updates put in their
 * WHERE clause (infra/reservation-store.ts), so a statement cannot move a line the table forbids.
 */
export function statusesThatCan(move: ReservationMove): ReservationStatus[] {
  return ALL_STATUSES.filter((s) => canTransition(s, move));
}

export type ReserveOutcome =
  | { order_id: string; status: 'reserved'; lines: ReservedLine[]; expires_at: string }
  | { order_id: string; status: 'rejected'; code: ShortCode; short_lines: ShortLine[] };

export const MAX_LINES_PER_ORDER = 100;
export const MAX_QUANTITY_PER_LINE = 1_000_000;
/** Entries of one ReserveBatch call: a bound on what one call may queue at once. */
export const MAX_RESERVATIONS_PER_BATCH = 1_000;

/** A batch of Reserve calls is refused as a whole (400 TOO_MANY_RESERVATIONS) above MAX_RESERVATIONS_PER_BATCH. */
export function assertBatchSize(entries: number): void {
  if (entries > MAX_RESERVATIONS_PER_BATCH) {
    throw invalid('TOO_MANY_RESERVATIONS', `at most ${MAX_RESERVATIONS_PER_BATCH} reservations per call`, { entries });
  }
}

/** An order id as every reservation command needs it: a non-empty string of at most 200 characters. */
export function assertOrderId(orderId: unknown): asserts orderId is string {
  if (typeof orderId !== 'string' || orderId.trim() === '' || orderId.length > 200) {
    throw invalid('INVALID_ORDER_ID', 'order_id must be a non-empty string');
  }
}

/**
 * Checks the request's shape (what no stock level can fix): a caller's bug, reported at once as
 * an `invalid` DomainError and never stored. Normalizes sizes (null/undefined → '').
 */
export function validateReserveRequest(input: { order_id: unknown; lines: unknown; ttl_seconds?: unknown }): ReserveRequest {
  assertOrderId(input.order_id);
  if (!Array.isArray(input.lines) || input.lines.length === 0) {
    throw invalid('NO_LINES', 'a reservation needs at least one line');
  }
  if (input.lines.length > MAX_LINES_PER_ORDER) {
    throw invalid('TOO_MANY_LINES', `at most ${MAX_LINES_PER_ORDER} lines per order`);
  }
  const seen = new Set<string>();
  const lines = input.lines.map((raw: unknown, i): ReserveLineRequest => {
    const l = (raw ?? {}) as Record<string, unknown>;
    const lineId = typeof l.line_id === 'string' && l.line_id !== '' ? l.line_id : String(i + 1);
    if (seen.has(lineId)) throw invalid('DUPLICATE_LINE_ID', `line_id ${lineId} appears twice`, { line_id: lineId });
    seen.add(lineId);
    if (typeof l.product_id !== 'string' || l.product_id === '') {
      throw invalid('INVALID_PRODUCT_ID', `line ${lineId}: product_id is required`, { line_id: lineId });
    }
    const q = l.quantity;
    if (typeof q !== 'number' || !Number.isInteger(q) || q <= 0 || q > MAX_QUANTITY_PER_LINE) {
      throw invalid('INVALID_QUANTITY', `line ${lineId}: quantity must be a positive integer`, {
        line_id: lineId,
        quantity: q as never,
      });
    }
    if (l.size !== undefined && l.size !== null && typeof l.size !== 'string') {
      throw invalid('INVALID_SIZE', `line ${lineId}: size must be a string`, { line_id: lineId });
    }
    return { line_id: lineId, product_id: l.product_id, size: l.size ?? '', quantity: q };
  });
  let ttl: number | undefined;
  if (input.ttl_seconds !== undefined && input.ttl_seconds !== null) {
    const t = input.ttl_seconds;
    if (typeof t !== 'number' || !Number.isInteger(t) || t <= 0 || t > 7 * 24 * 3600) {
      throw invalid('INVALID_TTL', 'ttl_seconds must be a positive integer (at most a week)');
    }
    ttl = t;
  }
  return { order_id: input.order_id, lines, ...(ttl !== undefined ? { ttl_seconds: ttl } : {}) };
}

/** What the catalogue knows about a product, enough to map a line to its stock row. */
export interface ProductStockIndex {
  productId: string;
  hasSizes: boolean;
  deleted: boolean;
  /** size ('' when no sizes) → stock row id */
  stockIds: ReadonlyMap<string, string>;
}

export type LineResolution = { ok: true; stockId: string } | { ok: false; code: ShortCode };

/** Maps a line to its stock row, or to the reason it cannot have one. */
export function resolveLine(line: ReserveLineRequest, product: ProductStockIndex | undefined): LineResolution {
  if (!product) return { ok: false, code: ReserveCodes.productNotFound };
  if (product.deleted) return { ok: false, code: ReserveCodes.productUnavailable };
  if (product.hasSizes && line.size === '') return { ok: false, code: ReserveCodes.sizeRequired };
  if (!product.hasSizes && line.size !== '') return { ok: false, code: ReserveCodes.sizeNotAllowed };
  const stockId = product.stockIds.get(line.size);
  if (!stockId) return { ok: false, code: ReserveCodes.sizeNotFound };
  return { ok: true, stockId };
}

/** The rejection's headline code: the first failing line's. */
export function rejection(orderId: string, shortLines: ShortLine[]): ReserveOutcome {
  return { order_id: orderId, status: 'rejected', code: shortLines[0].code, short_lines: shortLines };
}

// ---- batch planning ----

/** A request whose lines are mapped to stock rows, waiting in the engine's queue. */
export interface ResolvedRequest {
  request: ReserveRequest;
  /** Same order as request.lines. */
  stockIds: string[];
}

export interface StockLevel {
  id: string;
  productId: string;
  available: number;
  /** The product was soft-deleted after the request was resolved. */
  deleted: boolean;
  /**
   * The size was removed after the request was resolved (a process's product cache still maps
   * its name to the row, whose available count a restock may have raised again).
   */
  removed?: boolean;
}

export interface PlannedReservation {
  id: string;
  orderId: string;
  lineId: string;
  stockId: string;
  productId: string;
  size: string;
  quantity: number;
  expiresAt: Date;
}

export interface BatchPlan {
  /** One per request, same order. `isNew` is false when the order already had an outcome. */
  results: Array<{ outcome: ReserveOutcome; isNew: boolean }>;
  /** stock row id → total quantity taken from available by this batch */
  taken: Map<string, number>;
  reservations: PlannedReservation[];
  /** Outcomes to store (first time only). */
  newOutcomes: ReserveOutcome[];
}

export interface PlanInput {
  requests: ResolvedRequest[];
  stock: ReadonlyMap<string, StockLevel>;
  /** Outcomes already stored for some of the batch's orders (a retry). */
  existing: ReadonlyMap<string, ReserveOutcome>;
  now: Date;
  defaultTtlSeconds: number;
  newId: () => string;
}

/**
 * Decides a batch in arrival order, each request all-or-nothing on its own: a request is
 * reserved only if every one of its lines fits in what is left after the requests before it.
 * A request for an order that already has an outcome (stored, or decided earlier in this very
 * batch) gets that outcome again and changes nothing: this is what makes Reserve idempotent.
 */
export function planBatch(input: PlanInput): BatchPlan {
  const remaining = new Map<string, number>();
  for (const [id, s] of input.stock) remaining.set(id, s.available);
  const decided = new Map<string, ReserveOutcome>(input.existing);
  const plan: BatchPlan = { results: [], taken: new Map(), reservations: [], newOutcomes: [] };

  for (const { request, stockIds } of input.requests) {
    const previous = decided.get(request.order_id);
    if (previous) {
      plan.results.push({ outcome: previous, isNew: false });
      continue;
    }
    // Several lines of one order may name the same stock row: count what the order needs in
    // total per row before comparing with what is left.
    const needed = new Map<string, number>();
    request.lines.forEach((l, i) => needed.set(stockIds[i], (needed.get(stockIds[i]) ?? 0) + l.quantity));
    const shortLines: ShortLine[] = [];
    request.lines.forEach((line, i) => {
      const level = input.stock.get(stockIds[i]);
      if (!level || level.deleted) {
        shortLines.push({ ...lineKey(line), requested: line.quantity, available: 0, code: ReserveCodes.productUnavailable });
        return;
      }
      if (level.removed) {
        shortLines.push({ ...lineKey(line), requested: line.quantity, available: 0, code: ReserveCodes.sizeNotFound });
        return;
      }
      const left = remaining.get(level.id) ?? 0;
      if (left < (needed.get(level.id) ?? 0)) {
        shortLines.push({ ...lineKey(line), requested: line.quantity, available: left, code: ReserveCodes.insufficientStock });
      }
    });
    let outcome: ReserveOutcome;
    if (shortLines.length > 0) {
      outcome = rejection(request.order_id, shortLines);
    } else {
      const expiresAt = new Date(input.now.getTime() + (request.ttl_seconds ?? input.defaultTtlSeconds) * 1000);
      const lines: ReservedLine[] = request.lines.map((line, i) => {
        const stockId = stockIds[i];
        remaining.set(stockId, (remaining.get(stockId) ?? 0) - line.quantity);
        plan.taken.set(stockId, (plan.taken.get(stockId) ?? 0) + line.quantity);
        const id = input.newId();
        plan.reservations.push({
          id,
          orderId: request.order_id,
          lineId: line.line_id,
          stockId,
          productId: line.product_id,
          size: line.size,
          quantity: line.quantity,
          expiresAt,
        });
        return { ...line, reservation_id: id, status: NEW_RESERVATION_STATUS };
      });
      outcome = { order_id: request.order_id, status: 'reserved', lines, expires_at: expiresAt.toISOString() };
    }
    decided.set(request.order_id, outcome);
    plan.newOutcomes.push(outcome);
    plan.results.push({ outcome, isNew: true });
  }
  return plan;
}

function lineKey(line: ReserveLineRequest) {
  return { line_id: line.line_id, product_id: line.product_id, size: line.size };
}
