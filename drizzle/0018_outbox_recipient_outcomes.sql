ALTER TABLE "outbox" ADD COLUMN "recipient_outcomes" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "waits_for_relay" boolean DEFAULT false NOT NULL;