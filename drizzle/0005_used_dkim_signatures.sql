CREATE TABLE "used_dkim_signatures" (
	"signature" text PRIMARY KEY NOT NULL,
	"submission_id" text,
	"used_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "used_dkim_signatures" ADD CONSTRAINT "used_dkim_signatures_submission_id_submissions_id_fk" FOREIGN KEY ("submission_id") REFERENCES "public"."submissions"("id") ON DELETE set null ON UPDATE no action;