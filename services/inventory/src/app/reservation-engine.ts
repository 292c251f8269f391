// The reservation engine: Reserve, shared by gRPC and Kafka (Confirm, Release, Restock and the
// sweeper's expiry need no batching: they are use cases of their own over the store, see
// confirm-reservation.ts, release-reservation.ts, restock-order.ts, restock-lines.ts, release-expired.ts).
//
// Design (why it is shaped like this):
// - Correctness comes from the database: every write is one statement whose conditional
//   UPDATE (`available >= qty`) and CHECK constraints make overselling impossible whatever
//   happens to the locks (see infra/reservation-store.ts).
// - Throughput on a hot product comes from batching. Callers do not each take the Redis lock
//   (200 callers spinning on one key measured ~730 acquisitions/s here, with give-ups):
//   requests queue in this process, and a batch of pending requests is decided together under
//   ONE redlock acquisition of all its stock rows (keys sorted; redlock takes a set of keys
//   all-or-nothing), with ONE read and ONE write statement. Each request in the batch is still
//   all-or-nothing on its own, decided in arrival order (domain/reservation.ts planBatch).
// - While a batch runs, newer requests on its rows wait for the next batch (so one row is never
//   in two of this process's batches at once, and per-row order is FIFO); requests on other
//   rows form batches of their own, up to `maxConcurrentBatches` at a time. Under load this
//   makes batches grow by themselves: the busier a row, the more requests each round trip serves.
// - Optionally (leaseMaxMs > 0), a holder whose queue still has requests for the very same rows
//   keeps the Redis lock for the next batch, so a hot row pays no Redis round trip per batch;
//   when a lease ends by age the holder pauses briefly before taking the lock again, so other
//   processes spinning on the key get their turn. Off by default: measured here, it made hot
//   throughput worse, because shorter batch cycles mean smaller batches and the statement's
//   fixed cost (commit) is what bounds throughput.
// - Between processes the Redis lock is what keeps holders apart; if it expires mid-batch (GC
//   pause, SIGSTOP) the guarded write fails as a whole and the batch is decided again on fresh
//   data, never oversold.
// - Idempotency by order id: the first outcome of an order (reserved or rejected) is stored with
//   the reservations in the same statement; a retry reads and returns it, and the primary key
//   on the outcome is the backstop against two processes deciding the same order at once.
import { randomUUID } from 'node:crypto';
import { createEnvelope, currentTraceparent, internal, isDomainError, type Envelope } from '@sudamall/shared';
import type { Logger } from 'pino';
import {
  assertBatchSize,
  assertOrderId,
  planBatch,
  rejection,
  resolveLine,
  validateReserveRequest,
  type ProductStockIndex,
  type ReserveOutcome,
  type ReserveRequest,
  type ShortLine,
} from '../domain/reservation';
import type { HeldLocks, StockLocks } from '../infra/stock-locks';
import { systemClock, type Clock } from '@sudamall/shared';
import { inboxKey, StaleBatchError, type InboxClaim, type ReservationStore } from '../infra/reservation-store';

/** A Reserve call as it arrives (checked by validateReserveRequest). */
export interface ReserveInput {
  order_id: unknown;
  lines: unknown;
  ttl_seconds?: unknown;
}

export interface CallOptions {
  /** Kafka consumers: the message being processed, recorded with the effect. */
  inbox?: InboxClaim;
  /** Publish the answer event again when the order already had one (a command re-sent on purpose). */
  announceRepeat?: boolean;
}

export interface ReservationEngineOptions {
  store: ReservationStore;
  locks: StockLocks;
  logger: Logger;
  defaultTtlSeconds: number;
  /** When a reservation starts (its expires_at counts from it); the system clock by default. */
  clock?: Clock;
  /** Most requests decided in one batch. */
  maxBatch?: number;
  /** Batches (on disjoint rows) running at once; keep below the pg pool size. */
  maxConcurrentBatches?: number;
  /**
   * While a batch is running, another one starts only with at least this many requests: a
   * statement's fixed cost (round trip, planning, commit) dwarfs its per-row cost, so a few
   * big batches beat many small ones. With nothing running, a request starts at once.
   */
  minParallelBatch?: number;
  /** How long a holder may keep a hot row's lock across batches (0: release after every batch). */
  leaseMaxMs?: number;
  /** Tests only: runs between deciding a batch and writing it (to outlive the lock's TTL). */
  beforeWrite?: () => Promise<void>;
}

interface Pending {
  request: ReserveRequest;
  stockIds: string[];
  opts: CallOptions;
  traceparent: string | undefined;
  resolve: (o: ReserveOutcome) => void;
  reject: (e: unknown) => void;
}

const MAX_STALE_RETRIES = 8;
/** Longer than redlock's retry delay + jitter (10 + 10 ms), so a waiting process can win. */
const LEASE_YIELD_MS = 25;
const PRODUCT_CACHE_LIMIT = 50_000;

export class ReservationEngine {
  private pending: Pending[] = [];
  private readonly busyRows = new Set<string>();
  private activeBatches = 0;
  private pumpQueued = false;
  private readonly maxBatch: number;
  private readonly maxConcurrent: number;
  private readonly minParallelBatch: number;
  private readonly leaseMaxMs: number;
  private readonly clock: Clock;
  // Product → stock rows. Only facts that never change are trusted from here (a product's id,
  // has_sizes, and the row of a size); deletion and a size's removal are re-checked under the lock
  // in every batch, and a size that is missing here is looked up again before being called unknown.
  // A renamed size stays mapped under its old name too: the same row, the same stock.
  private readonly productCache = new Map<string, ProductStockIndex>();
  private idleWaiters: Array<() => void> = [];
  private readonly loading = new Map<string, Promise<Map<string, ProductStockIndex>>>();
  /** Locks kept between consecutive batches on the same rows (key: the sorted row ids). */
  private readonly leases = new Map<string, HeldLocks>();

  constructor(private readonly o: ReservationEngineOptions) {
    this.maxBatch = o.maxBatch ?? 256;
    this.maxConcurrent = o.maxConcurrentBatches ?? 4;
    this.minParallelBatch = o.minParallelBatch ?? 16;
    this.leaseMaxMs = o.leaseMaxMs ?? 0;
    this.clock = o.clock ?? systemClock;
  }

  // ---------------------------------------------------------------- reserve

  /**
   * Reserves every line of the order or none. Shape errors (quantity, ids) throw `invalid`;
   * business outcomes (short stock, unknown product or size, deleted product) are a `rejected`
   * outcome, stored so a retry gets it again. Redis down → throws 503 LOCK_UNAVAILABLE.
   */
  async reserve(input: ReserveInput, opts: CallOptions = {}): Promise<ReserveOutcome> {
    const request = validateReserveRequest(input);
    const index = await this.productIndex(request.lines);
    const outcome = this.admit(request, index, opts);
    this.pumpSoon();
    return outcome;
  }

  /**
   * Several orders' Reserve in one call (gRPC ReserveBatch): each entry is decided exactly as
   * reserve() decides it and settles on its own, in request order (a malformed entry is a
   * rejected promise, the others go on). Their product look-ups share one query and they join
   * the queue together before a batch starts, so one lock acquisition, one read and one write
   * can decide many of them: the per-order round trips of a caller with many orders go.
   */
  async reserveMany(inputs: ReserveInput[], opts: CallOptions = {}): Promise<Array<PromiseSettledResult<ReserveOutcome>>> {
    assertBatchSize(inputs.length);
    const checked = inputs.map((input): ReserveRequest | { error: Error } => {
      try {
        return validateReserveRequest(input);
      } catch (error) {
        // validateReserveRequest throws DomainErrors only.
        return { error: error instanceof Error ? error : new Error(String(error)) };
      }
    });
    const requests = checked.filter((c): c is ReserveRequest => !('error' in c));
    const index = await this.productIndex(requests.flatMap((r) => r.lines));
    const outcomes = checked.map((c) => ('error' in c ? Promise.reject(c.error) : this.admit(c, index, opts)));
    this.pumpSoon();
    return Promise.allSettled(outcomes);
  }

  /** Maps the request's lines to stock rows and queues it (the caller pumps), or rejects it without stock. */
  private admit(request: ReserveRequest, index: Map<string, ProductStockIndex>, opts: CallOptions): Promise<ReserveOutcome> {
    const stockIds: string[] = [];
    const shortLines: ShortLine[] = [];
    for (const line of request.lines) {
      const r = resolveLine(line, index.get(line.product_id));
      if (r.ok) stockIds.push(r.stockId);
      else shortLines.push({ line_id: line.line_id, product_id: line.product_id, size: line.size, requested: line.quantity, available: 0, code: r.code });
    }
    if (shortLines.length > 0) return this.rejectWithoutStock(rejection(request.order_id, shortLines), opts);

    return new Promise<ReserveOutcome>((resolve, reject) => {
      this.pending.push({ request, stockIds, opts, traceparent: currentTraceparent(), resolve, reject });
    });
  }

  private async productIndex(lines: ReserveRequest['lines']): Promise<Map<string, ProductStockIndex>> {
    const out = new Map<string, ProductStockIndex>();
    const missing: string[] = [];
    for (const line of lines) {
      const cached = this.productCache.get(line.product_id);
      if (cached && (cached.deleted || !cached.hasSizes || cached.stockIds.has(line.size))) out.set(line.product_id, cached);
      else missing.push(line.product_id);
    }
    if (missing.length > 0) {
      // Callers that miss on the same products at once (a cold start under load) share one query.
      const toLoad = [...new Set(missing.filter((id) => !this.loading.has(id)))];
      if (toLoad.length > 0) {
        const load = this.o.store.loadProductIndex(toLoad).then((fresh) => {
          if (this.productCache.size > PRODUCT_CACHE_LIMIT) this.productCache.clear();
          for (const [id, p] of fresh) this.productCache.set(id, p);
          return fresh;
        });
        const settle = () => toLoad.forEach((id) => this.loading.delete(id));
        load.then(settle, settle);
        for (const id of toLoad) this.loading.set(id, load);
      }
      for (const id of new Set(missing)) {
        const fresh = await this.loading.get(id);
        const p = fresh?.get(id) ?? this.productCache.get(id);
        if (p) out.set(id, p);
      }
    }
    return out;
  }

  private async rejectWithoutStock(outcome: ReserveOutcome, opts: CallOptions): Promise<ReserveOutcome> {
    const event = this.answerEvent(outcome, currentTraceparent());
    const { inserted, redelivered } = await this.o.store.recordRejection(outcome, event, opts.inbox);
    if (inserted) return outcome;
    // The order already had an outcome (this is a retry): that one stands, announced again only
    // for a command re-sent on purpose (a redelivered message was answered the first time).
    const existing = (await this.o.store.loadOutcome(outcome.order_id)) ?? outcome;
    if (opts.announceRepeat && !redelivered) await this.o.store.appendEvents([this.answerEvent(existing, currentTraceparent())]);
    return existing;
  }

  /** Answers a reserve command that can never succeed (bad quantity...) with a stored rejection. */
  async rejectMalformed(orderId: string, code: string, opts: CallOptions = {}): Promise<ReserveOutcome> {
    assertOrderId(orderId);
    return this.rejectWithoutStock({ order_id: orderId, status: 'rejected', code: code as ShortLine['code'], short_lines: [] }, opts);
  }

  /**
   * Pumps once the callers started together have queued: reserves issued side by side (a Kafka
   * batch of commands, concurrent gRPC calls) join the queue in the same few microtasks, and the
   * first of them would otherwise start a batch alone and leave the rest to wait for it.
   */
  private pumpSoon(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /** Starts batches for pending requests whose rows are not in a running batch. */
  private pump(): void {
    while (this.activeBatches < this.maxConcurrent && this.pending.length > 0) {
      // Rows of a request left waiting block later requests on those rows too, so every row is
      // served in arrival order.
      const blocked = new Set(this.busyRows);
      const batch: Pending[] = [];
      const rest: Pending[] = [];
      for (const p of this.pending) {
        if (batch.length < this.maxBatch && p.stockIds.every((id) => !blocked.has(id))) batch.push(p);
        else {
          rest.push(p);
          for (const id of p.stockIds) blocked.add(id);
        }
      }
      if (batch.length === 0) return;
      if (this.activeBatches > 0 && batch.length < this.minParallelBatch) return;
      this.pending = rest;
      const rows = [...new Set(batch.flatMap((p) => p.stockIds))];
      for (const id of rows) this.busyRows.add(id);
      this.activeBatches++;
      void this.runBatch(batch, rows).finally(() => {
        for (const id of rows) this.busyRows.delete(id);
        this.activeBatches--;
        this.pump();
        this.releaseIdleLeases();
        if (this.activeBatches === 0 && this.pending.length === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w();
        }
      });
    }
  }

  private async runBatch(batch: Pending[], rows: string[]): Promise<void> {
    const orderIds = [...new Set(batch.map((p) => p.request.order_id))];
    const claims = batch.flatMap((p) => (p.opts.inbox ? [p.opts.inbox] : []));
    const leaseKey = rowKey(rows);
    for (let attempt = 0; ; attempt++) {
      // First attempt: the lock and the read go out together (one round trip less per batch).
      // Reading before the lock is granted is safe: the write is guarded, so a read made stale
      // by another holder only makes the write fail. Retries read under the lock, so a
      // contended row cannot keep a batch stale.
      const read = () => this.o.store.readBatchState(rows, orderIds, claims);
      const early = attempt === 0 ? read() : undefined;
      early?.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
      let locks: HeldLocks;
      try {
        const lease = this.takeLease(leaseKey);
        if (lease === 'yield') await new Promise((r) => setTimeout(r, LEASE_YIELD_MS));
        locks = lease && lease !== 'yield' ? lease : await this.o.locks.acquire(rows);
      } catch (e) {
        for (const p of batch) p.reject(e);
        return;
      }
      let keep = false;
      try {
        const state = await (early ?? read());
        const plan = planBatch({
          requests: batch,
          stock: state.stock,
          existing: state.existing,
          now: this.clock.now(),
          defaultTtlSeconds: this.o.defaultTtlSeconds,
          newId: randomUUID,
        });
        // A redelivered Kafka message (its inbox row is there, written with its order's outcome)
        // gets that outcome and changes, claims and announces nothing: the batch's read answers
        // what the consumer once asked the inbox in a round trip of its own per command.
        const redelivered = batch.map((p) => p.opts.inbox !== undefined && state.seen.has(inboxKey(p.opts.inbox)) && state.existing.has(p.request.order_id));
        const events: Envelope[] = [];
        plan.results.forEach((r, i) => {
          if (!redelivered[i] && (r.isNew || batch[i].opts.announceRepeat)) events.push(this.answerEvent(r.outcome, batch[i].traceparent));
        });
        const inbox = batch.flatMap((p, i) => (p.opts.inbox && !redelivered[i] ? [p.opts.inbox] : []));
        if (this.o.beforeWrite) await this.o.beforeWrite();
        if (plan.newOutcomes.length > 0 || events.length > 0 || inbox.length > 0) {
          if (!locks.stillHeld()) this.o.logger.warn({ rows: rows.length }, 'stock lock expired before the write; the guarded write decides');
          await this.o.store.writeBatch(plan, events, inbox, batch[0].traceparent);
        }
        plan.results.forEach((r, i) => batch[i].resolve(r.outcome));
        keep = this.leaseMaxMs > 0 && this.pending.some((p) => rowKey(p.stockIds) === leaseKey);
        return;
      } catch (e) {
        if (e instanceof StaleBatchError && attempt < MAX_STALE_RETRIES) {
          this.o.logger.info({ attempt, reason: e.message }, 'reservation batch is stale; deciding it again');
          continue;
        }
        const err = isDomainError(e) ? e : internal('RESERVATION_FAILED', 'the reservation could not be completed');
        if (!isDomainError(e)) this.o.logger.error({ err: e }, 'reservation batch failed');
        for (const p of batch) p.reject(err);
        return;
      } finally {
        if (keep) this.leases.set(leaseKey, locks);
        else await locks.release();
      }
    }
  }

  /** The kept lock for these rows if still young; 'yield' when it just ended by age. */
  private takeLease(key: string): HeldLocks | 'yield' | undefined {
    const lease = this.leases.get(key);
    if (!lease) return undefined;
    this.leases.delete(key);
    const age = this.o.locks.ttlMs - lease.remainingMs();
    if (age < Math.min(this.leaseMaxMs, this.o.locks.ttlMs / 2)) return lease;
    void lease.release();
    return 'yield';
  }

  /** Leases the next batches did not take (their rows went quiet): give them back now. */
  private releaseIdleLeases(): void {
    for (const [key, lease] of this.leases) {
      if (key.split(',').some((id) => this.busyRows.has(id))) continue;
      this.leases.delete(key);
      void lease.release();
    }
  }

  private answerEvent(outcome: ReserveOutcome, traceparent: string | undefined): Envelope {
    const opts = traceparent ? { traceparent } : {};
    if (outcome.status === 'reserved') {
      return createEnvelope(
        'stock.reserved',
        outcome.order_id,
        {
          order_id: outcome.order_id,
          lines: outcome.lines.map((l) => ({
            line_id: l.line_id,
            product_id: l.product_id,
            size: l.size === '' ? null : l.size,
            quantity: l.quantity,
            reservation_id: l.reservation_id,
          })),
          expires_at: outcome.expires_at,
        },
        opts,
      );
    }
    return createEnvelope(
      'stock.rejected',
      outcome.order_id,
      {
        order_id: outcome.order_id,
        code: outcome.code,
        short_lines: outcome.short_lines.map((l) => ({ ...l, size: l.size === '' ? null : l.size })),
      },
      opts,
    );
  }

  /** Resolves when no batch is running or waiting (graceful shutdown). */
  drain(): Promise<void> {
    if (this.activeBatches === 0 && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

/** The identity of a set of stock rows (lease key). */
function rowKey(stockIds: string[]): string {
  return [...new Set(stockIds)].sort().join(',');
}
