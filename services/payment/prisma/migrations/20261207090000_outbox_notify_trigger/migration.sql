-- The outbox wake-up becomes OUTBOX_NOTIFY_SQL from @sudamall/shared, as in inventory: a
-- statement trigger instead of the init migration's rule. PostgreSQL refuses a table with an ALSO
-- rule in a data-modifying WITH, and the charge path now writes its attempt, its payment and its
-- event in one such statement (src/infra/payment-sql.ts). Same effect: one pg_notify('outbox')
-- per INSERT statement, delivered at commit. The function body is an E'' string with \073 for
-- each semicolon: the migration engine splits a script at every semicolon.
DROP RULE IF EXISTS outbox_notify ON outbox;
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger AS E'BEGIN PERFORM pg_notify(''outbox'', '''')\073 RETURN NULL\073 END' LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS outbox_notify ON outbox;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
