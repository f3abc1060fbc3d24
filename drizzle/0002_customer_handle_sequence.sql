-- Customer handles (C + 8 digits) come from a sequence: every simple reassignment creates a
-- customer, and a counter row bumped inside each transaction made them commit one at a time.
-- nextval() takes no lock held to commit; a number is lost when its transaction rolls back.
-- Hand-written (drizzle-kit has no sequences in this schema); keep it when regenerating 0000_initial.
CREATE SEQUENCE IF NOT EXISTS "customer_handle_seq" MINVALUE 1 NO MAXVALUE;--> statement-breakpoint
SELECT setval('customer_handle_seq', COALESCE((SELECT "last" FROM "handle_counters" WHERE "name" = 'customer'), 0) + 1, false);
