-- The subjects' GIN without fast update: every message's last statement searches it (the
-- rejections its approvals supersede), and with fast update new rows sat in a pending list that
-- each search read through until a vacuum merged it (test/worker/supersede-plan.test.ts).
DROP INDEX "submission_templates_subjects_idx";--> statement-breakpoint
CREATE INDEX "submission_templates_subjects_idx" ON "submission_templates" USING gin ("subjects") WITH (fastupdate=false);