-- Hand-edited after drizzle-kit generate: rows stored before this migration get their raw
-- digest as delivery digest (they still recognise a byte-identical re-delivery), so the
-- column can be NOT NULL on a table that already has rows. Keep this when regenerating.
DROP INDEX "submissions_dedup_idx";--> statement-breakpoint
ALTER TABLE "submissions" ADD COLUMN "delivery_sha256" text;--> statement-breakpoint
UPDATE "submissions" SET "delivery_sha256" = "raw_sha256";--> statement-breakpoint
ALTER TABLE "submissions" ALTER COLUMN "delivery_sha256" SET NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "submissions_delivery_idx" ON "submissions" USING btree ("message_id","delivery_sha256");
