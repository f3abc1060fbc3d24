-- Sibling nets (same parent) never overlap, guaranteed by the database so that new children of
-- one parent can be inserted in parallel: the application's check names the sibling in a friendly
-- refusal, this constraint refuses the loser of a race (SQLSTATE 23P01, answered as E_OVERLAP).
-- Hand-written (drizzle-kit cannot express EXCLUDE); keep it when regenerating 0000_initial.
-- btree_gist gives text its "=" for GiST; PostgreSQL ships it as a trusted extension, PGlite as
-- @electric-sql/pglite/contrib/btree_gist (loaded by src/db/open.ts).
CREATE EXTENSION IF NOT EXISTS btree_gist;--> statement-breakpoint
ALTER TABLE "nets" ADD CONSTRAINT "nets_sibling_no_overlap" EXCLUDE USING gist ("parent_handle" WITH =, numrange("start_address", "end_address", '[]') WITH &&);
