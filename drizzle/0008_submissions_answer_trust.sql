ALTER TABLE "submissions" ADD COLUMN "answer_to" text;--> statement-breakpoint
ALTER TABLE "submissions" ADD COLUMN "answer_trust" text;--> statement-breakpoint
ALTER TABLE "submissions" ADD COLUMN "answer_withheld" text;