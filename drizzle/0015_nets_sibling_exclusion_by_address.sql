-- The sibling exclusion (0001) with its columns swapped: the address range first, the parent
-- second. A GiST index places each entry by its first column; keyed by the parent, its pages
-- held nets of every address, and "which nets contain this range" (the parent of a new net,
-- src/registry/lookups.ts `mostSpecificContaining`), which PostgreSQL answers from this index
-- without a parent to give it, read pages of nets far from the address: 72 to 608 pages per call
-- on 100,000 nets (20,000 allocations of 4 children), 316 for a simple reassignment's placement
-- statement. Keyed by the range, the same question reads the branch holding the address (16-23
-- pages, the placement 19; test/registry/parent-net-plan.test.ts), and "the child of P
-- overlapping R" is still answered from both columns. The constraint is the same: siblings never
-- overlap.
-- Hand-written (drizzle-kit cannot express EXCLUDE).
ALTER TABLE "nets" DROP CONSTRAINT "nets_sibling_no_overlap";--> statement-breakpoint
ALTER TABLE "nets" ADD CONSTRAINT "nets_sibling_no_overlap" EXCLUDE USING gist (numrange("start_address", "end_address", '[]') WITH &&, "parent_handle" WITH =);
