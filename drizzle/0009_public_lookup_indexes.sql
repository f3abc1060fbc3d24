CREATE INDEX "customers_public_name_pattern_idx" ON "customers" USING btree (lower("name") text_pattern_ops) WHERE "customers"."private_residence" = false;--> statement-breakpoint
CREATE INDEX "customers_handle_pattern_idx" ON "customers" USING btree ("handle" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "nets_top_span_idx" ON "nets" USING gist ("version",numrange("start_address", "end_address", '[]')) WHERE "nets"."parent_handle" is null;--> statement-breakpoint
CREATE INDEX "orgs_name_pattern_idx" ON "orgs" USING btree (lower("name") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "orgs_handle_pattern_idx" ON "orgs" USING btree ("handle" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "pocs_last_name_pattern_idx" ON "pocs" USING btree (lower("last_name") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "pocs_full_name_pattern_idx" ON "pocs" USING btree (lower(coalesce("first_name" || ' ', '') || "last_name") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "pocs_handle_pattern_idx" ON "pocs" USING btree ("handle" text_pattern_ops);