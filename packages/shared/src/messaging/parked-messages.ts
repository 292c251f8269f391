// Parked messages: what a consumer gave up on so that its partition (and every order hashed to
// it) moves on. The bus decides when to park (classifyHandlerFailure + the attempt budget);
// this module holds the record, the store port (one SQL implementation over any service's
// executor: Prisma's $queryRawUnsafe or a node-postgres pool), the metric, and the operator's
// audited retry and discard. Retry re-runs the consumer's own handler on the stored envelope:
// consumers are idempotent (inbox), so a retry of something that partly applied is safe.
import { Counter } from 'prom-client';
import type { Logger } from 'pino';
import type { AuthUser } from '../auth';
import { asUnavailable, conflict, invalid, isDomainError, notFound, unavailable, unprocessable } from '../errors';
import { metricsRegistry } from '../http/metrics';
import { parseEnvelope, type AnyEnvelope } from './envelope';
import type { EnvelopeHandler, MessageMeta } from './kafka-bus';

export type ParkedStatus = 'parked' | 'retried' | 'discarded';
export const PARKED_STATUSES: readonly ParkedStatus[] = ['parked', 'retried', 'discarded'];

/** The transition table: a parked message is retried (handled at last) or discarded, once. */
export const PARKED_TRANSITIONS: Readonly<Record<ParkedStatus, readonly ParkedStatus[]>> = {
  parked: ['retried', 'discarded'],
  retried: [],
  discarded: [],
};

export function canParkedTransition(from: ParkedStatus, to: ParkedStatus): boolean {
  return PARKED_TRANSITIONS[from].includes(to);
}

/**
 * How a handler failure is treated:
 * - `transient`: the infrastructure under the handler (database restarting, a peer answering
 *   UNAVAILABLE): retried with backoff for as long as it lasts, never parked, because parking
 *   would empty the topic into the table during any outage;
 * - `deterministic`: a domain error (invalid, not found, conflict, ...): the same message fails
 *   the same way, so it is parked after a short budget;
 * - `unknown`: anything else (a bug, a constraint violation): parked after the full budget.
 */
export type FailureClass = 'transient' | 'deterministic' | 'unknown';

export function classifyHandlerFailure(err: unknown): FailureClass {
  if (isDomainError(err)) {
    if (err.kind === 'unavailable') return 'transient';
    return err.kind === 'internal' ? 'unknown' : 'deterministic';
  }
  return asUnavailable(err) || isRetryableConflict(err) ? 'transient' : 'unknown';
}

// A transaction that lost a race (serialization failure, deadlock, lock timeout; Prisma's P2034)
// succeeds when run again: under a checkout storm five in a row must not park a message.
const PG_RETRYABLE = new Set(['40001', '40P01', '55P03']);
function isRetryableConflict(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    const metaCode = (e as { meta?: { code?: unknown } }).meta?.code;
    if (code === 'P2034' || (typeof code === 'string' && PG_RETRYABLE.has(code)) || (typeof metaCode === 'string' && PG_RETRYABLE.has(metaCode))) return true;
  }
  return false;
}

export interface ParkPolicy {
  /** Failed attempts (transient ones not counted) after which an `unknown` failure is parked. */
  maxAttempts: number;
  /** The same for a `deterministic` failure; one retry rules out a race with another message. */
  deterministicMaxAttempts: number;
}

export const DEFAULT_PARK_POLICY: ParkPolicy = { maxAttempts: 5, deterministicMaxAttempts: 2 };

/** True when a message whose handler failed `counted` times (non-transient) is to be parked. */
export function shouldPark(cls: FailureClass, counted: number, policy: ParkPolicy): boolean {
  if (cls === 'transient') return false;
  const budget = cls === 'deterministic' ? Math.min(policy.deterministicMaxAttempts, policy.maxAttempts) : policy.maxAttempts;
  return counted >= Math.max(1, budget);
}

/** What is kept of the error (never the stack of a DomainError: its code says it all). */
export interface ParkedError {
  class: FailureClass | 'unparseable';
  name: string;
  message: string;
  kind?: string;
  code?: string;
}

export function describeFailure(err: unknown, cls: ParkedError['class']): ParkedError {
  const e = err as { name?: unknown; message?: unknown } | undefined;
  const out: ParkedError = {
    class: cls,
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: (typeof e?.message === 'string' ? e.message : String(err)).slice(0, 4000),
  };
  if (isDomainError(err)) {
    out.kind = err.kind;
    out.code = err.code;
  } else {
    const code = (err as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string') out.code = code;
  }
  return out;
}

export interface NewParkedMessage {
  consumer: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** Null when the message could not be parsed (then rawValue holds what arrived). */
  envelope: AnyEnvelope | null;
  rawValue: string | null;
  error: ParkedError;
  attempts: number;
}

export interface ParkedMessage extends NewParkedMessage {
  id: string;
  status: ParkedStatus;
  parkedAt: Date;
  retryCount: number;
  lastRetryAt: Date | null;
  lastRetryBy: string | null;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
}

export interface ParkedQuery {
  status?: ParkedStatus;
  consumer?: string;
  limit: number;
  offset: number;
}

/** The port each service implements over its own database (SqlParkStore does it over raw SQL). */
export interface ParkStore {
  /** Idempotent per (consumer, topic, partition, offset): a redelivery after a crash parks once. */
  park(m: NewParkedMessage): Promise<void>;
  list(q: ParkedQuery): Promise<{ items: ParkedMessage[]; total: number }>;
  get(id: string): Promise<ParkedMessage | null>;
  /** Moves a `parked` row to `to`; null when it is not parked (any more). */
  resolve(id: string, to: Exclude<ParkedStatus, 'parked'>, by: string, note: string): Promise<ParkedMessage | null>;
  /** A retry that failed: the row stays parked with the new error and who tried. */
  recordFailedRetry(id: string, by: string, error: ParkedError): Promise<void>;
}

/** Runs one statement with positional parameters and returns its rows. */
export type SqlQuery = (sql: string, values: unknown[]) => Promise<unknown[]>;

interface ParkedRow {
  id: string;
  consumer: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  envelope: unknown;
  raw_value: string | null;
  error: unknown;
  attempts: number;
  status: ParkedStatus;
  parked_at: Date;
  retry_count: number;
  last_retry_at: Date | null;
  last_retry_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolution_note: string | null;
}

const COLUMNS = `id::text AS id, consumer, topic, "partition", "offset"::text AS "offset", key, envelope, raw_value, error,
  attempts, status, parked_at, retry_count, last_retry_at, last_retry_by, resolved_at, resolved_by, resolution_note`;

const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);

function fromRow(r: ParkedRow): ParkedMessage {
  return {
    id: r.id,
    consumer: r.consumer,
    topic: r.topic,
    partition: Number(r.partition),
    offset: String(r.offset),
    key: r.key,
    envelope: r.envelope == null ? null : (json(r.envelope) as AnyEnvelope),
    rawValue: r.raw_value,
    error: json(r.error) as ParkedError,
    attempts: Number(r.attempts),
    status: r.status,
    parkedAt: r.parked_at,
    retryCount: Number(r.retry_count),
    lastRetryAt: r.last_retry_at,
    lastRetryBy: r.last_retry_by,
    resolvedAt: r.resolved_at,
    resolvedBy: r.resolved_by,
    resolutionNote: r.resolution_note,
  };
}

// PostgreSQL text cannot hold NUL; a poison payload may.
// eslint-disable-next-line no-control-regex -- because NUL is exactly the character to replace
const safeText = (s: string | null) => (s === null ? null : s.replace(/\u0000/g, '\uFFFD'));

/** The `parked_messages` table (each service's migration creates it) over any SQL executor. */
export class SqlParkStore implements ParkStore {
  constructor(private readonly query: SqlQuery) {}

  async park(m: NewParkedMessage): Promise<void> {
    await this.query(
      `INSERT INTO parked_messages (consumer, topic, "partition", "offset", key, event_id, event_type, envelope, raw_value, error, attempts)
       VALUES ($1, $2, $3::int, $4::bigint, $5, $6, $7, $8::jsonb, $9, $10::jsonb, $11::int)
       ON CONFLICT (consumer, topic, "partition", "offset") DO NOTHING`,
      [
        m.consumer,
        m.topic,
        m.partition,
        m.offset,
        safeText(m.key),
        m.envelope?.id ?? null,
        m.envelope?.type ?? null,
        m.envelope === null ? null : JSON.stringify(m.envelope),
        safeText(m.rawValue),
        JSON.stringify(m.error),
        m.attempts,
      ],
    );
  }

  async list(q: ParkedQuery): Promise<{ items: ParkedMessage[]; total: number }> {
    const where = `($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR consumer = $2)`;
    const filters = [q.status ?? null, q.consumer ?? null];
    const rows = (await this.query(`SELECT ${COLUMNS} FROM parked_messages WHERE ${where} ORDER BY parked_at DESC, id DESC LIMIT $3::int OFFSET $4::int`, [
      ...filters,
      q.limit,
      q.offset,
    ])) as ParkedRow[];
    const count = (await this.query(`SELECT count(*)::int AS n FROM parked_messages WHERE ${where}`, filters)) as Array<{ n: number }>;
    return { items: rows.map(fromRow), total: Number(count[0]?.n ?? 0) };
  }

  async get(id: string): Promise<ParkedMessage | null> {
    const rows = (await this.query(`SELECT ${COLUMNS} FROM parked_messages WHERE id = $1::bigint`, [id])) as ParkedRow[];
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async resolve(id: string, to: Exclude<ParkedStatus, 'parked'>, by: string, note: string): Promise<ParkedMessage | null> {
    // Conditional on the current status: of two operators acting at once, one wins.
    const rows = (await this.query(
      `UPDATE parked_messages SET status = $2, resolved_at = now(), resolved_by = $3, resolution_note = $4,
              retry_count = retry_count + CASE WHEN $2 = 'retried' THEN 1 ELSE 0 END,
              last_retry_at = CASE WHEN $2 = 'retried' THEN now() ELSE last_retry_at END,
              last_retry_by = CASE WHEN $2 = 'retried' THEN $3 ELSE last_retry_by END
        WHERE id = $1::bigint AND status = 'parked'
        RETURNING ${COLUMNS}`,
      [id, to, by, note],
    )) as ParkedRow[];
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async recordFailedRetry(id: string, by: string, error: ParkedError): Promise<void> {
    await this.query(
      `UPDATE parked_messages SET error = $3::jsonb, attempts = attempts + 1, retry_count = retry_count + 1,
              last_retry_at = now(), last_retry_by = $2
        WHERE id = $1::bigint AND status = 'parked'`,
      [id, by, JSON.stringify(error)],
    );
  }
}

let parkedCounter: Counter<'consumer' | 'topic'> | undefined;
function parkedTotal(): Counter<'consumer' | 'topic'> {
  parkedCounter ??=
    (metricsRegistry.getSingleMetric('kafka_messages_parked_total') as Counter<'consumer' | 'topic'> | undefined) ??
    new Counter({
      name: 'kafka_messages_parked_total',
      help: 'Messages a consumer gave up on and parked (see the saga dashboard, "Parked messages")',
      labelNames: ['consumer', 'topic'],
      registers: [metricsRegistry],
    });
  return parkedCounter;
}

/** Who acts on a parked message, as the audit records it. */
export type ParkedActor = Pick<AuthUser, 'id' | 'role'>;

const actorName = (a: ParkedActor) => `${a.id} (${a.role})`;

/**
 * The parked messages of one service: what the bus parks into, and what the admin endpoints
 * list, retry and discard. The bus registers each consumer's handler when it subscribes, so a
 * retry runs the same code the consumer runs.
 */
export class ParkedMessages {
  private readonly handlers = new Map<string, EnvelopeHandler>();
  private readonly logger: Logger;

  constructor(
    readonly store: ParkStore,
    opts: { logger: Logger },
  ) {
    this.logger = opts.logger.child({ component: 'parked-messages' });
    parkedTotal();
  }

  /** The handler a retry of `consumer`'s messages runs (the bus calls it on subscribe). */
  register(consumer: string, handler: EnvelopeHandler): void {
    this.handlers.set(consumer, handler);
  }

  async park(m: NewParkedMessage): Promise<void> {
    await this.store.park(m);
    parkedTotal().inc({ consumer: m.consumer, topic: m.topic });
    this.logger.error(
      {
        consumer: m.consumer,
        topic: m.topic,
        partition: m.partition,
        offset: m.offset,
        event_id: m.envelope?.id,
        type: m.envelope?.type,
        error: m.error,
        attempts: m.attempts,
      },
      'message parked; the partition moves on (retry or discard it on the saga dashboard)',
    );
  }

  list(q: ParkedQuery) {
    return this.store.list(q);
  }

  async get(id: string): Promise<ParkedMessage> {
    const m = /^\d{1,18}$/.test(id) ? await this.store.get(id) : null;
    if (!m) throw notFound('PARKED_MESSAGE_NOT_FOUND', `no parked message ${id}`);
    return m;
  }

  /**
   * Re-runs the consumer's handler on the stored message. Success marks it `retried` (who,
   * when, why); a failure leaves it parked with the new error and answers with it.
   */
  async retry(id: string, actor: ParkedActor, note: string): Promise<ParkedMessage> {
    const m = await this.get(id);
    this.assertParked(m, 'retried');
    const handler = this.handlers.get(m.consumer);
    if (!handler) {
      throw unavailable('PARKED_MESSAGE_CONSUMER_NOT_RUNNING', `consumer ${m.consumer} does not run in this instance; try again on one that runs it`);
    }
    let envelope = m.envelope;
    if (envelope === null) {
      try {
        envelope = parseEnvelope(m.rawValue);
      } catch (err) {
        throw unprocessable('PARKED_MESSAGE_UNPARSEABLE', 'the message still cannot be parsed; discard it', { error: describeFailure(err, 'unparseable') });
      }
    }
    const meta: MessageMeta = { topic: m.topic, partition: m.partition, offset: m.offset, headers: {}, heartbeat: async () => undefined };
    try {
      await handler(envelope, meta);
    } catch (err) {
      const cls = classifyHandlerFailure(err);
      const error = describeFailure(err, cls);
      // A transient failure says nothing about the message: it stays as it was parked.
      if (cls !== 'transient') await this.store.recordFailedRetry(m.id, actorName(actor), error);
      this.logger.warn({ id: m.id, consumer: m.consumer, error }, 'retry of a parked message failed');
      if (cls === 'transient') throw unavailable('PARKED_MESSAGE_RETRY_UNAVAILABLE', `the handler could not run now: ${error.message}`, { error });
      throw unprocessable('PARKED_MESSAGE_RETRY_FAILED', `the handler failed again: ${error.message}`, { error });
    }
    const done = await this.store.resolve(m.id, 'retried', actorName(actor), note);
    this.logger.info({ id: m.id, consumer: m.consumer, by: actorName(actor) }, 'parked message retried');
    // Someone else resolved it while the handler ran (idempotent handlers make the double run harmless).
    return done ?? (await this.get(m.id));
  }

  /** Gives up on the message for good, keeping it and the reason. */
  async discard(id: string, actor: ParkedActor, reason: string): Promise<ParkedMessage> {
    if (reason.trim() === '') throw invalid('DISCARD_REASON_REQUIRED', 'say why the message is discarded');
    const m = await this.get(id);
    this.assertParked(m, 'discarded');
    const done = await this.store.resolve(m.id, 'discarded', actorName(actor), reason.trim());
    if (!done) {
      // Someone else resolved it in between: assertParked answers 409 with how it was resolved.
      const now = await this.get(m.id);
      this.assertParked(now, 'discarded');
      return now;
    }
    this.logger.warn({ id: m.id, consumer: m.consumer, by: actorName(actor), reason }, 'parked message discarded');
    return done;
  }

  private assertParked(m: ParkedMessage, to: ParkedStatus): void {
    if (!canParkedTransition(m.status, to)) {
      throw conflict('PARKED_MESSAGE_RESOLVED', `parked message ${m.id} is already ${m.status}`, { status: m.status, resolved_by: m.resolvedBy });
    }
  }
}

/** The JSON shape the admin endpoints answer with. */
export function parkedMessageView(m: ParkedMessage) {
  return {
    id: m.id,
    consumer: m.consumer,
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    key: m.key,
    event_id: m.envelope?.id ?? null,
    type: m.envelope?.type ?? null,
    envelope: m.envelope,
    raw_value: m.rawValue,
    error: m.error,
    attempts: m.attempts,
    status: m.status,
    parked_at: m.parkedAt.toISOString(),
    retry_count: m.retryCount,
    last_retry_at: m.lastRetryAt?.toISOString() ?? null,
    last_retry_by: m.lastRetryBy,
    resolved_at: m.resolvedAt?.toISOString() ?? null,
    resolved_by: m.resolvedBy,
    resolution_note: m.resolutionNote,
  };
}
