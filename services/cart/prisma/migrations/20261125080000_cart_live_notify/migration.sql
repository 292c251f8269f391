-- Live cart updates (/ws/cart/{user_id}/). Every change to a buyer's items, and every sync change
-- recorded for them, notifies channel 'cart_live' with the buyer's user id. NOTIFY is delivered
-- at commit and only then (a rolled-back change announces nothing), PostgreSQL folds identical
-- notifications of one transaction into one, and every cart instance LISTENs: so a change made
-- by any instance (a REST call, the catalogue sync consumer, a checkout settled from
-- order.events) reaches the buyer whichever instance their WebSocket is connected to.
--
-- The WASM migration engine splits scripts at every semicolon, quoted or not, so the plpgsql
-- body is an E'' string whose semicolons are written as the octal escape \073. It reads:
--   DECLARE cid uuid. uid text.
--   BEGIN
--     IF TG_OP = 'DELETE' THEN cid := OLD.cart_id. ELSE cid := NEW.cart_id. END IF.
--     SELECT user_id INTO uid FROM carts WHERE id = cid.
--     IF uid IS NOT NULL THEN PERFORM pg_notify('cart_live', uid). END IF.
--     RETURN NULL.
--   END
-- (with each "." a semicolon).
CREATE FUNCTION cart_live_notify() RETURNS trigger LANGUAGE plpgsql AS E'
DECLARE
  cid uuid\073
  uid text\073
BEGIN
  IF TG_OP = ''DELETE'' THEN
    cid := OLD.cart_id\073
  ELSE
    cid := NEW.cart_id\073
  END IF\073
  SELECT user_id INTO uid FROM carts WHERE id = cid\073
  IF uid IS NOT NULL THEN
    PERFORM pg_notify(''cart_live'', uid)\073
  END IF\073
  RETURN NULL\073
END
';

CREATE TRIGGER cart_items_live_insert_delete AFTER INSERT OR DELETE ON cart_items
  FOR EACH ROW EXECUTE FUNCTION cart_live_notify();

-- What the buyer sees: a refreshed synced_at alone is not news.
CREATE TRIGGER cart_items_live_update AFTER UPDATE ON cart_items
  FOR EACH ROW
  WHEN (OLD.quantity IS DISTINCT FROM NEW.quantity
     OR OLD.current_price IS DISTINCT FROM NEW.current_price
     OR OLD.product_name IS DISTINCT FROM NEW.product_name
     OR OLD.size IS DISTINCT FROM NEW.size)
  EXECUTE FUNCTION cart_live_notify();

-- Marking changes seen (an UPDATE) is the buyer's own read, so only new changes notify.
CREATE TRIGGER cart_changes_live AFTER INSERT ON cart_changes
  FOR EACH ROW EXECUTE FUNCTION cart_live_notify();
