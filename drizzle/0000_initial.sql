CREATE TABLE "account_emails" (
	"account_id" integer NOT NULL,
	"email" text NOT NULL,
	CONSTRAINT "account_emails_account_id_email_pk" PRIMARY KEY("account_id","email")
);
--> statement-breakpoint
CREATE TABLE "account_pocs" (
	"account_id" integer NOT NULL,
	"poc_handle" text NOT NULL,
	CONSTRAINT "account_pocs_account_id_poc_handle_pk" PRIMARY KEY("account_id","poc_handle")
);
--> statement-breakpoint
CREATE TABLE "accounts" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" serial PRIMARY KEY NOT NULL,
	"account_id" integer NOT NULL,
	"digest" text NOT NULL,
	"display" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"object_type" text NOT NULL,
	"object_handle" text NOT NULL,
	"ticket_number" text,
	"submission_id" text,
	"before" jsonb,
	"after" jsonb,
	"note" text
);
--> statement-breakpoint
CREATE TABLE "customers" (
	"handle" text PRIMARY KEY NOT NULL,
	"parent_org_handle" text NOT NULL,
	"name" text NOT NULL,
	"street" text[] DEFAULT '{}'::text[] NOT NULL,
	"city" text NOT NULL,
	"state" text,
	"postal_code" text,
	"country" text NOT NULL,
	"private_residence" boolean DEFAULT false NOT NULL,
	"public_comments" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "handle_counters" (
	"name" text PRIMARY KEY NOT NULL,
	"last" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "net_pocs" (
	"net_handle" text NOT NULL,
	"poc_handle" text NOT NULL,
	"role" text NOT NULL,
	CONSTRAINT "net_pocs_net_handle_poc_handle_role_pk" PRIMARY KEY("net_handle","poc_handle","role")
);
--> statement-breakpoint
CREATE TABLE "nets" (
	"handle" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"version" smallint NOT NULL,
	"start_address" numeric(39,0) NOT NULL,
	"end_address" numeric(39,0) NOT NULL,
	"cidrs" text[] DEFAULT '{}'::text[] NOT NULL,
	"type" text NOT NULL,
	"parent_handle" text,
	"org_handle" text,
	"customer_handle" text,
	"origin_as" bigint[] DEFAULT '{}'::bigint[] NOT NULL,
	"reverse_nameservers" text[] DEFAULT '{}'::text[] NOT NULL,
	"public_comments" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "org_pocs" (
	"org_handle" text NOT NULL,
	"poc_handle" text NOT NULL,
	"role" text NOT NULL,
	CONSTRAINT "org_pocs_org_handle_poc_handle_role_pk" PRIMARY KEY("org_handle","poc_handle","role")
);
--> statement-breakpoint
CREATE TABLE "orgs" (
	"handle" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"dba" text,
	"tax_id" text,
	"street" text[] DEFAULT '{}'::text[] NOT NULL,
	"city" text NOT NULL,
	"state" text,
	"postal_code" text,
	"country" text NOT NULL,
	"referral_server" text,
	"public_comments" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"message_id" text NOT NULL,
	"submission_id" text,
	"kind" text NOT NULL,
	"envelope_from" text DEFAULT '' NOT NULL,
	"recipients" text[] DEFAULT '{}'::text[] NOT NULL,
	"raw" text NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "pocs" (
	"handle" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"last_name" text NOT NULL,
	"first_name" text,
	"middle_name" text,
	"company" text,
	"street" text[] DEFAULT '{}'::text[] NOT NULL,
	"city" text,
	"state" text,
	"postal_code" text,
	"country" text,
	"phones" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"emails" text[] DEFAULT '{}'::text[] NOT NULL,
	"public_comments" text[] DEFAULT '{}'::text[] NOT NULL,
	"validated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rejections" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"submission_id" text NOT NULL,
	"template_index" integer,
	"reason_code" text NOT NULL,
	"reason" text NOT NULL,
	"form" text,
	"sender" text,
	"state" text DEFAULT 'open' NOT NULL,
	"staff_notes" text,
	"closed_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "staff_login_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"succeeded" boolean NOT NULL,
	"remote_address" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "staff_sessions" (
	"token_digest" text PRIMARY KEY NOT NULL,
	"staff_user_id" integer NOT NULL,
	"flash" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "staff_users" (
	"id" serial PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"must_change_password" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"disabled_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "submission_templates" (
	"submission_id" text NOT NULL,
	"template_index" integer NOT NULL,
	"form" text NOT NULL,
	"form_version" text NOT NULL,
	"request_kind" text,
	"request" jsonb,
	"echo" text NOT NULL,
	"outcome" text NOT NULL,
	"ticket_number" text,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"handles" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"notes" text[] DEFAULT '{}'::text[] NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "submission_templates_submission_id_template_index_pk" PRIMARY KEY("submission_id","template_index")
);
--> statement-breakpoint
CREATE TABLE "submissions" (
	"id" text PRIMARY KEY NOT NULL,
	"raw" "bytea" NOT NULL,
	"raw_sha256" text NOT NULL,
	"message_id" text DEFAULT '' NOT NULL,
	"size_bytes" integer NOT NULL,
	"envelope_from" text DEFAULT '' NOT NULL,
	"envelope_to" text[] DEFAULT '{}'::text[] NOT NULL,
	"remote_address" text,
	"helo_name" text,
	"via" text NOT NULL,
	"from_address" text,
	"subject" text,
	"state" text DEFAULT 'received' NOT NULL,
	"refusal_code" text,
	"refusal_message" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "ticket_counters" (
	"day" text PRIMARY KEY NOT NULL,
	"last" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"number" text PRIMARY KEY NOT NULL,
	"submission_id" text,
	"template_index" integer,
	"status" text NOT NULL,
	"resolution" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "account_emails" ADD CONSTRAINT "account_emails_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_pocs" ADD CONSTRAINT "account_pocs_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_pocs" ADD CONSTRAINT "account_pocs_poc_handle_pocs_handle_fk" FOREIGN KEY ("poc_handle") REFERENCES "public"."pocs"("handle") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customers" ADD CONSTRAINT "customers_parent_org_handle_orgs_handle_fk" FOREIGN KEY ("parent_org_handle") REFERENCES "public"."orgs"("handle") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "net_pocs" ADD CONSTRAINT "net_pocs_net_handle_nets_handle_fk" FOREIGN KEY ("net_handle") REFERENCES "public"."nets"("handle") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "net_pocs" ADD CONSTRAINT "net_pocs_poc_handle_pocs_handle_fk" FOREIGN KEY ("poc_handle") REFERENCES "public"."pocs"("handle") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nets" ADD CONSTRAINT "nets_org_handle_orgs_handle_fk" FOREIGN KEY ("org_handle") REFERENCES "public"."orgs"("handle") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nets" ADD CONSTRAINT "nets_customer_handle_customers_handle_fk" FOREIGN KEY ("customer_handle") REFERENCES "public"."customers"("handle") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "org_pocs" ADD CONSTRAINT "org_pocs_org_handle_orgs_handle_fk" FOREIGN KEY ("org_handle") REFERENCES "public"."orgs"("handle") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "org_pocs" ADD CONSTRAINT "org_pocs_poc_handle_pocs_handle_fk" FOREIGN KEY ("poc_handle") REFERENCES "public"."pocs"("handle") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outbox" ADD CONSTRAINT "outbox_submission_id_submissions_id_fk" FOREIGN KEY ("submission_id") REFERENCES "public"."submissions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rejections" ADD CONSTRAINT "rejections_submission_id_submissions_id_fk" FOREIGN KEY ("submission_id") REFERENCES "public"."submissions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_sessions" ADD CONSTRAINT "staff_sessions_staff_user_id_staff_users_id_fk" FOREIGN KEY ("staff_user_id") REFERENCES "public"."staff_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "submission_templates" ADD CONSTRAINT "submission_templates_submission_id_submissions_id_fk" FOREIGN KEY ("submission_id") REFERENCES "public"."submissions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_submission_id_submissions_id_fk" FOREIGN KEY ("submission_id") REFERENCES "public"."submissions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "account_emails_email_idx" ON "account_emails" USING btree ("email");--> statement-breakpoint
CREATE INDEX "account_pocs_poc_idx" ON "account_pocs" USING btree ("poc_handle");--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_name_idx" ON "accounts" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_digest_idx" ON "api_keys" USING btree ("digest");--> statement-breakpoint
CREATE INDEX "audit_object_idx" ON "audit_log" USING btree ("object_type","object_handle");--> statement-breakpoint
CREATE INDEX "audit_submission_idx" ON "audit_log" USING btree ("submission_id");--> statement-breakpoint
CREATE INDEX "audit_ticket_idx" ON "audit_log" USING btree ("ticket_number");--> statement-breakpoint
CREATE INDEX "customers_parent_org_idx" ON "customers" USING btree ("parent_org_handle");--> statement-breakpoint
CREATE INDEX "customers_name_idx" ON "customers" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "net_pocs_poc_idx" ON "net_pocs" USING btree ("poc_handle");--> statement-breakpoint
CREATE INDEX "nets_range_idx" ON "nets" USING btree ("version","start_address","end_address");--> statement-breakpoint
CREATE INDEX "nets_parent_idx" ON "nets" USING btree ("parent_handle");--> statement-breakpoint
CREATE INDEX "nets_org_idx" ON "nets" USING btree ("org_handle");--> statement-breakpoint
CREATE INDEX "nets_customer_idx" ON "nets" USING btree ("customer_handle");--> statement-breakpoint
CREATE INDEX "org_pocs_poc_idx" ON "org_pocs" USING btree ("poc_handle");--> statement-breakpoint
CREATE INDEX "orgs_name_idx" ON "orgs" USING btree (lower("name"));--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_message_id_idx" ON "outbox" USING btree ("message_id");--> statement-breakpoint
CREATE INDEX "outbox_due_idx" ON "outbox" USING btree ("state","next_attempt_at");--> statement-breakpoint
CREATE INDEX "outbox_submission_idx" ON "outbox" USING btree ("submission_id");--> statement-breakpoint
CREATE INDEX "pocs_last_name_idx" ON "pocs" USING btree (lower("last_name"));--> statement-breakpoint
CREATE INDEX "pocs_emails_idx" ON "pocs" USING gin ("emails");--> statement-breakpoint
CREATE INDEX "rejections_state_created_idx" ON "rejections" USING btree ("state","created_at","id");--> statement-breakpoint
CREATE INDEX "rejections_reason_idx" ON "rejections" USING btree ("state","reason_code","created_at","id");--> statement-breakpoint
CREATE INDEX "rejections_submission_idx" ON "rejections" USING btree ("submission_id");--> statement-breakpoint
CREATE UNIQUE INDEX "rejections_template_idx" ON "rejections" USING btree ("submission_id","template_index","reason_code");--> statement-breakpoint
CREATE INDEX "staff_login_attempts_email_idx" ON "staff_login_attempts" USING btree ("email","at");--> statement-breakpoint
CREATE INDEX "staff_sessions_user_idx" ON "staff_sessions" USING btree ("staff_user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "staff_users_email_idx" ON "staff_users" USING btree ("email");--> statement-breakpoint
CREATE UNIQUE INDEX "submissions_dedup_idx" ON "submissions" USING btree ("message_id","raw_sha256");--> statement-breakpoint
CREATE INDEX "submissions_state_idx" ON "submissions" USING btree ("state","received_at");--> statement-breakpoint
CREATE INDEX "submissions_from_idx" ON "submissions" USING btree ("from_address");--> statement-breakpoint
CREATE INDEX "submissions_received_idx" ON "submissions" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "tickets_submission_idx" ON "tickets" USING btree ("submission_id","template_index");