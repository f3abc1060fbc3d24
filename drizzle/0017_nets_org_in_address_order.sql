DROP INDEX "nets_org_idx";--> statement-breakpoint
CREATE INDEX "nets_org_idx" ON "nets" USING btree ("org_handle","version","start_address");