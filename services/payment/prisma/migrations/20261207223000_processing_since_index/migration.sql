-- The recovery sweep (ResumeStalePayments) looks for payments left in `processing` past the stale
-- window, every round. Without an index it read the whole payments table each time: 56 → 104 ms a
-- call over a 10-minute soak at ~90 checkouts/s, and growing with every payment made. Partial:
-- only payments in `processing` have entries (a payment enters once, when its charge is sent, and
-- leaves when it is answered), so the checkout's other writes of a payment pay nothing for it.
-- Its predicate names the literal status, as the sweep's statement does (SELECT_STALE_PROCESSING).
CREATE INDEX "payments_processing_since" ON "payments"("processing_started_at")
  WHERE "status" = 'processing';
