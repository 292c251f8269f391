-- Nothing looks an outbox row up by its event id: the relay claims by id, the retention deletes by
-- (published_at, id), and consumers deduplicate by event id in their own inbox. The unique index
-- cost every outbox row two insertions at a random place in a growing index (the insert, and the
-- relay's mark, which is not a HOT update), about twenty per checkout across the services.
DROP INDEX IF EXISTS "outbox_event_id_key";
