-- A statement that must refuse to commit raises through this (as order_assert and inventory_assert
-- do): a charge answer's last statement is sent with its COMMIT (one round trip, issue 15), so what
-- was checked after it in code (the attempt moved as the transition table allows, the payment row
-- still there) is checked inside it. The function body is an E'' string with \073 for each
-- semicolon: the migration engine splits a script at every semicolon.
CREATE FUNCTION "payment_assert"(ok boolean, message text) RETURNS boolean LANGUAGE plpgsql AS E'BEGIN IF ok IS NOT TRUE THEN RAISE EXCEPTION ''%'', message USING ERRCODE = ''P0001''\073 END IF\073 RETURN true\073 END';
