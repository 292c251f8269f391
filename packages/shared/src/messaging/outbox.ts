import type { TopicName } from './contracts';
import type { Envelope } from './envelope';

/** A JSON value; Prisma's `Json` input accepts it without a cast (interfaces such as Envelope are not). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** The `OutboxMessage` create data, for `tx.outboxMessage.create({ data })` / `createMany`. */
export interface OutboxRowData {
  eventId: string;
  topic: string;
  key: string;
  type: string;
  /** The whole envelope, published as is. */
  payload: JsonObject;
}

/** `topic` is the unprefixed topic; the relay applies the deployment's prefix when publishing. */
export function outboxRow(topic: TopicName, envelope: Envelope): OutboxRowData {
  return { eventId: envelope.id, topic, key: envelope.key, type: envelope.type, payload: envelope as unknown as JsonObject };
}

/** One row's insert, for raw-SQL callers: values are (event_id, topic, key, type, payload). */
export const OUTBOX_INSERT_SQL = 'INSERT INTO outbox (event_id, topic, key, type, payload) VALUES ($1::uuid, $2, $3, $4, $5::jsonb)';

/** A multi-row insert of envelopes to one topic: `{ text, values }` for pg or `$executeRawUnsafe(text, ...values)`. */
export function insertOutboxSql(envelopes: ReadonlyArray<Envelope>, topic: TopicName): { text: string; values: unknown[] } {
  if (envelopes.length === 0) throw new Error('insertOutboxSql needs at least one envelope');
  const values: unknown[] = [];
  const rows = envelopes.map((e, i) => {
    values.push(e.id, topic, e.key, e.type, JSON.stringify(e));
    const b = i * 5;
    return `($${b + 1}::uuid, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}::jsonb)`;
  });
  return { text: `INSERT INTO outbox (event_id, topic, key, type, payload) VALUES ${rows.join(', ')}`, values };
}

/**
 * Append to each service's first migration: wakes the relay (LISTEN outbox) as soon as a
 * transaction that wrote outbox rows commits (NOTIFY is delivered at commit), once per statement.
 */
// Prisma's migration engine splits a script at every semicolon, even inside a $$-quoted body,
// so the function body is an E'' string whose semicolons are written as \073.
export const OUTBOX_NOTIFY_SQL = `
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger AS E'BEGIN PERFORM pg_notify(''outbox'', '''')\\073 RETURN NULL\\073 END' LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS outbox_notify ON outbox;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
`;
