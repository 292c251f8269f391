-- The inbox retention (INBOX_RETENTION_HOURS, packages/shared/src/service/inbox-retention.ts)
-- deletes processed rows oldest first, every round. Without this index each round would read the
-- whole inbox, which grows by one row per message the service consumes. processed_at only ever
-- grows, so each insert lands on the index's rightmost page.
-- Prisma runs a migration in a transaction, where CONCURRENTLY is refused, and a plain build holds
-- the consumers' inserts until it ends. For an inbox grown large, build it by hand first with
-- CREATE INDEX CONCURRENTLY and this name (docs/deploy.md): this statement then does nothing.
CREATE INDEX IF NOT EXISTS "inbox_processed_at_idx" ON "inbox"("processed_at");
