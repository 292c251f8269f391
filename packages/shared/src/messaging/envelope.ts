import { randomUUID } from 'node:crypto';
import type { MessageType, MessageTypes } from './contracts';
import { currentTraceparent } from './trace-context';

/** The JSON value of every Kafka message. */
export interface Envelope<T extends MessageType = MessageType> {
  id: string;
  type: T;
  version: number;
  /** ISO-8601 */
  occurred_at: string;
  /** The Kafka message key: order id for saga traffic, product id for catalogue events. */
  key: string;
  /** W3C trace context of the operation that produced the message. */
  traceparent?: string;
  data: MessageTypes[T];
}

/** A union over every type, so `switch (envelope.type)` narrows `envelope.data`. */
export type AnyEnvelope = { [K in MessageType]: Envelope<K> }[MessageType];

export interface EnvelopeOptions {
  version?: number;
  /** For tests and replays; normally a fresh UUID. */
  id?: string;
  occurredAt?: Date;
  /** Overrides the active span's trace context. */
  traceparent?: string;
}

export function createEnvelope<T extends MessageType>(type: T, key: string, data: MessageTypes[T], opts: EnvelopeOptions = {}): Envelope<T> {
  const traceparent = opts.traceparent ?? currentTraceparent();
  return {
    id: opts.id ?? randomUUID(),
    type,
    version: opts.version ?? 1,
    occurred_at: (opts.occurredAt ?? new Date()).toISOString(),
    key,
    ...(traceparent ? { traceparent } : {}),
    data,
  };
}

export class MalformedEnvelopeError extends Error {
  constructor(reason: string) {
    super(`malformed envelope: ${reason}`);
    this.name = 'MalformedEnvelopeError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Parses and checks the envelope's own shape. The data's shape is the consumer's to validate
 * (it knows which types it handles); an unknown `type` is returned as is, for the consumer to ignore.
 */
export function parseEnvelope(value: Buffer | string | null | undefined): AnyEnvelope {
  if (value === null || value === undefined) throw new MalformedEnvelopeError('empty message');
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch {
    throw new MalformedEnvelopeError('not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MalformedEnvelopeError('not an object');
  }
  const e = parsed as Record<string, unknown>;
  if (typeof e.id !== 'string' || !UUID.test(e.id)) throw new MalformedEnvelopeError('id must be a UUID');
  if (typeof e.type !== 'string' || e.type.length === 0) throw new MalformedEnvelopeError('type must be a string');
  if (typeof e.version !== 'number' || !Number.isInteger(e.version)) throw new MalformedEnvelopeError('version must be an integer');
  if (typeof e.occurred_at !== 'string' || Number.isNaN(Date.parse(e.occurred_at))) {
    throw new MalformedEnvelopeError('occurred_at must be an ISO date');
  }
  if (typeof e.key !== 'string') throw new MalformedEnvelopeError('key must be a string');
  if (e.traceparent !== undefined && typeof e.traceparent !== 'string') {
    throw new MalformedEnvelopeError('traceparent must be a string');
  }
  if (typeof e.data !== 'object' || e.data === null || Array.isArray(e.data)) {
    throw new MalformedEnvelopeError('data must be an object');
  }
  return e as unknown as AnyEnvelope;
}
