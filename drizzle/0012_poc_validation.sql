CREATE TABLE "poc_validations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"round" text NOT NULL,
	"poc_handle" text NOT NULL,
	"message_id" text NOT NULL,
	"token_digest" text NOT NULL,
	"recipients" text[] DEFAULT '{}'::text[] NOT NULL,
	"sent_at" timestamp with time zone NOT NULL,
	"deadline" timestamp with time zone NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"answered_at" timestamp with time zone,
	"answered_by" text,
	"answer_submission_id" text
);
--> statement-breakpoint
ALTER TABLE "pocs" ADD COLUMN "validation_state" text DEFAULT 'valid' NOT NULL;--> statement-breakpoint
ALTER TABLE "pocs" ADD COLUMN "invalid_emails" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "poc_validations" ADD CONSTRAINT "poc_validations_poc_handle_pocs_handle_fk" FOREIGN KEY ("poc_handle") REFERENCES "public"."pocs"("handle") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "poc_validations_round_poc_idx" ON "poc_validations" USING btree ("round","poc_handle");--> statement-breakpoint
CREATE UNIQUE INDEX "poc_validations_message_id_idx" ON "poc_validations" USING btree ("message_id");--> statement-breakpoint
CREATE UNIQUE INDEX "poc_validations_token_idx" ON "poc_validations" USING btree ("token_digest");--> statement-breakpoint
CREATE INDEX "poc_validations_poc_idx" ON "poc_validations" USING btree ("poc_handle","sent_at");--> statement-breakpoint
CREATE INDEX "poc_validations_due_idx" ON "poc_validations" USING btree ("state","deadline");--> statement-breakpoint
CREATE INDEX "pocs_validation_state_idx" ON "pocs" USING btree ("validation_state");