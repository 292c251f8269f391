-- A statement that must refuse to commit raises through this (as inventory_assert does): a saga
-- reply's last statement is sent with its COMMIT (one round trip, issue 15), so what was checked
-- after it in code (the saga row updated, the status moved from what was locked) is checked inside it.
CREATE FUNCTION "order_assert"(ok boolean, message text) RETURNS boolean LANGUAGE plpgsql AS E'BEGIN IF ok IS NOT TRUE THEN RAISE EXCEPTION ''%'', message USING ERRCODE = ''P0001''\073 END IF\073 RETURN true\073 END';
