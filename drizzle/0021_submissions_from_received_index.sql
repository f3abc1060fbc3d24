-- A sender's latest messages in order (the Subject link reads 20): (from_address, received_at)
-- takes the place of the index on from_address alone, which it also serves. IF NOT EXISTS (a hand
-- edit of the generated statement): operators of a large mailbox may build it beforehand with
-- CREATE INDEX CONCURRENTLY under the same name (docs/operations.md).
CREATE INDEX IF NOT EXISTS "submissions_from_received_idx" ON "submissions" USING btree ("from_address","received_at");--> statement-breakpoint
DROP INDEX IF EXISTS "submissions_from_idx";
