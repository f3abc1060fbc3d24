CREATE TABLE "message_links" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"submission_id" text NOT NULL,
	"answers_submission_id" text,
	"ticket_number" text,
	"our_message_id" text,
	"way" text NOT NULL,
	"sender_was_recipient" boolean NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "rejections" ADD COLUMN "superseded_by" text;--> statement-breakpoint
ALTER TABLE "submission_templates" ADD COLUMN "subjects" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "submissions" ADD COLUMN "account_id" integer;--> statement-breakpoint
ALTER TABLE "submissions" ADD COLUMN "api_key_id" integer;--> statement-breakpoint
ALTER TABLE "message_links" ADD CONSTRAINT "message_links_submission_id_submissions_id_fk" FOREIGN KEY ("submission_id") REFERENCES "public"."submissions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "message_links_submission_idx" ON "message_links" USING btree ("submission_id");--> statement-breakpoint
CREATE INDEX "message_links_answers_idx" ON "message_links" USING btree ("answers_submission_id");--> statement-breakpoint
CREATE INDEX "message_links_ticket_idx" ON "message_links" USING btree ("ticket_number");--> statement-breakpoint
CREATE INDEX "submission_templates_subjects_idx" ON "submission_templates" USING gin ("subjects");--> statement-breakpoint
CREATE INDEX "submissions_account_idx" ON "submissions" USING btree ("account_id","received_at");--> statement-breakpoint
CREATE INDEX "submissions_api_key_idx" ON "submissions" USING btree ("api_key_id","received_at");