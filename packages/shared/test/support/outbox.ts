/**
 * The outbox table as every service's first migration makes it (services/<name>/prisma/migrations),
 * for tests that run the relay or read the outbox in a scratch schema of their own.
 */
export const OUTBOX_TABLE_SQL = `
  CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    event_id UUID NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    key TEXT NOT NULL,
    type TEXT NOT NULL,
    payload JSONB NOT NULL,
    created_at TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ(3)
  );
  CREATE INDEX outbox_published_at_id_idx ON outbox (published_at, id);
`;
